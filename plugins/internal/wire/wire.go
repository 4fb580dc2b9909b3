// Package wire is the go-plugin glue shared by the host and the SDK: the
// handshake, the plugin map, the GRPCPlugin that registers and dials the
// Classifier service, and the float32 packing of signals.
//
// Keep ProtocolVersion in step with the protobuf package
// (ecgrobust.plugin.v1): a breaking protocol change becomes v2, a new proto
// package and a new entry in the VersionedPlugins map.
package wire

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pluginpb "github.com/ecgrobust/ecgrobust/plugins/proto"
)

// ProtocolVersion is the plugin protocol version: the go-plugin handshake
// version and the number in the protobuf package name.
const ProtocolVersion = 1

// PluginName is the key of the classifier in the go-plugin plugin map.
const PluginName = "classifier"

// Magic cookie: go-plugin refuses to serve unless the host set it, so a
// plugin run by hand says so instead of waiting for a handshake.
const (
	MagicCookieKey   = "ECGROBUST_PLUGIN"
	MagicCookieValue = "ecg-classifier-7f3c1a9e"
)

// gRPC transport sizes for both ends: flow-control windows large enough
// for a whole batch of 64 × 18,000 float32 (4.6 MB) in flight, and socket
// buffers of 1 MiB.
const (
	WindowSize = 16 << 20
	BufferSize = 1 << 20
)

// Handshake is the go-plugin handshake of protocol version 1.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   MagicCookieKey,
	MagicCookieValue: MagicCookieValue,
}

// GRPCPlugin is the go-plugin Plugin of the Classifier service. Impl is
// set in the plugin process; the host leaves it nil.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl pluginpb.ClassifierServer
}

var _ plugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers the Classifier service.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pluginpb.RegisterClassifierServer(s, p.Impl)
	return nil
}

// GRPCClient returns a pluginpb.ClassifierClient on c.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return pluginpb.NewClassifierClient(c), nil
}

// PluginSet returns the plugin map of one version: the classifier, served
// by srv (nil on the host side).
func PluginSet(srv pluginpb.ClassifierServer) plugin.PluginSet {
	return plugin.PluginSet{PluginName: &GRPCPlugin{Impl: srv}}
}

// VersionedPlugins returns the plugin maps by protocol version.
func VersionedPlugins(srv pluginpb.ClassifierServer) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{ProtocolVersion: PluginSet(srv)}
}
