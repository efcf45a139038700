//go:build unix

package ssetest

import "syscall"

// setSmallReceiveBuffer asks for a 4 kB receive buffer before the socket
// connects, so that the TCP window it advertises stays small too.
func setSmallReceiveBuffer(_, _ string, rc syscall.RawConn) error {
	var err error
	if cerr := rc.Control(func(fd uintptr) {
		err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
	}); cerr != nil {
		return cerr
	}
	return err
}
