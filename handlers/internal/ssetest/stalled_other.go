//go:build !unix

package ssetest

import "syscall"

// setSmallReceiveBuffer leaves the buffer as it is where the socket option
// cannot be set portably; the stalled viewer then takes longer to block.
func setSmallReceiveBuffer(_, _ string, _ syscall.RawConn) error { return nil }
