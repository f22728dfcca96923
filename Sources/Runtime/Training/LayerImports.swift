// The layers below this one that it builds on; their users see them through it.
@_exported import ZooProjectors
@_exported import ZooCache
@_exported import ZooDatasets
