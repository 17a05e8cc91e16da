package mail

import (
	"net"
	"strconv"
)

// Server names the server and port c connects to, with the usual port of the TLS mode when
// none is set: "smtp.ministry.example:587".
func (c Config) Server() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(port(c)))
}
