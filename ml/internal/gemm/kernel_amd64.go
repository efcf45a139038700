package gemm

func availableKernels() []*kernel { return []*kernel{generic} }
