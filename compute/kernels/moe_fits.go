package kernels

var moeFits = []MoEModel{}
