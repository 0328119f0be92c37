package lb

import (
	"net"
	"sync"
)

// A byte-buffer pool is what sync.Pool is for.
var bufPool = sync.Pool{
	New: func() interface{} { return make([]byte, 32*1024) },
}

// Connections live in an explicit pool that closes them.
type ConnPool struct {
	mu    sync.Mutex
	conns chan net.Conn
}

func (p *ConnPool) Put(c net.Conn) {
	select {
	case p.conns <- c:
	default:
		c.Close()
	}
}
