package blocking

import "syscall"

// simulates an uninterruptible blocking operation (to avoid)
func badBlockingHandler() {
	fd, _ := syscall.Open("/dev/zero", syscall.O_RDONLY, 0)
	var buf [1]byte
	syscall.Read(fd, buf[:]) // no timeout: context.Cancel has no effect
}
