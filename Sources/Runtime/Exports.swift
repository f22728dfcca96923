// Runtime is the umbrella of its layers, each a target of its own under Sources/Runtime/ so
// that a wrong-way import is a build error (docs/ARCHITECTURE.md draws the graph). Importing
// Runtime imports them all.
@_exported import ZooAnalysis
@_exported import ZooCache
@_exported import ZooCore
@_exported import ZooCuration
@_exported import ZooDatasets
@_exported import ZooEncoders
@_exported import ZooEvaluation
@_exported import ZooImages
@_exported import ZooProjectors
@_exported import ZooSafeTensors
@_exported import ZooSearch
@_exported import ZooTensor
@_exported import ZooTokenizers
@_exported import ZooTraining
