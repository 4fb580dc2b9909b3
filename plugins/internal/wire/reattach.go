package wire

import (
	"encoding/json"
	"fmt"
)

// Debug mode: a plugin started by hand with DebugEnv set (e.g. under a
// debugger) serves without a host and prints a ReattachEnv value; a host
// whose environment (or host.Config.Reattach) holds that value connects to
// the running process instead of starting one.
const (
	DebugEnv    = "ECGROBUST_PLUGIN_DEBUG"
	ReattachEnv = "ECGROBUST_PLUGIN_REATTACH"
)

// Reattach says where a plugin in debug mode listens.
type Reattach struct {
	Network         string `json:"network"` // "unix" or "tcp"
	Addr            string `json:"addr"`
	Pid             int    `json:"pid"`
	ProtocolVersion int    `json:"protocol_version"`
}

// String returns r as one line of JSON.
func (r Reattach) String() string {
	b, _ := json.Marshal(r)
	return string(b)
}

// ParseReattach parses the JSON of Reattach.String and checks it.
func ParseReattach(s string) (Reattach, error) {
	var r Reattach
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return r, fmt.Errorf("wire: reattach %q: %w", s, err)
	}
	switch {
	case r.Network != "unix" && r.Network != "tcp":
		return r, fmt.Errorf("wire: reattach network %q: want unix or tcp", r.Network)
	case r.Addr == "":
		return r, fmt.Errorf("wire: reattach: no addr")
	case r.Pid <= 0:
		return r, fmt.Errorf("wire: reattach: pid %d is not positive", r.Pid)
	case r.ProtocolVersion != ProtocolVersion:
		return r, fmt.Errorf("wire: reattach: protocol version %d, want %d", r.ProtocolVersion, ProtocolVersion)
	}
	return r, nil
}
