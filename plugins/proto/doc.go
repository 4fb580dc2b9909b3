// Package pluginpb holds the ecgrobust plugin protocol (classifier.proto,
// protobuf package ecgrobust.plugin.v1) and its generated Go code.
//
// Regenerate with `make proto` (Debian protoc, protoc-gen-go v1.36.12,
// protoc-gen-go-grpc v1.6.2), which also writes the Python stubs of
// plugins/examples/python. Never edit the *.pb.go files by hand.
package pluginpb
