// The layers below this one that it builds on; their users see them through it.
@_exported import ZooSafeTensors
@_exported import ZooTensor
