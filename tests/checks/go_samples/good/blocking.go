package blocking

import (
	"net"
	"time"
)

func readWithDeadline(conn net.Conn) error {
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	var buf [1]byte
	_, err := conn.Read(buf[:])
	return err
}
