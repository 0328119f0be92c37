package lb

import (
	"net"
	"sync"
)

// ❌ article 2.5: sync.Pool caching long-lived TCP connections
var connPool = sync.Pool{
	New: func() interface{} {
		conn, _ := net.Dial("tcp", "backend:8080")
		return conn // no Close tracking: leaks when the GC drops it
	},
}

func send(b []byte) error {
	conn := connPool.Get().(net.Conn)
	_, err := conn.Write(b)
	return err
}
