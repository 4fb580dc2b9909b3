package sdk

import (
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// InvalidInput returns an error telling the host that the request itself
// is wrong (gRPC InvalidArgument): the host reports it as a rejected input
// and keeps the plugin running. Any other error a Classifier returns is
// reported as a plugin failure (gRPC Internal).
func InvalidInput(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

// toStatus maps an implementation's error to a gRPC status error, keeping
// one that already is.
func toStatus(op string, err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Errorf(codes.Internal, "%s: %v", op, err)
}

// panicError turns a recovered panic into an Internal status.
func panicError(op string, r any) error {
	return status.Errorf(codes.Internal, "%s: plugin panicked: %v", op, fmt.Sprint(r))
}
