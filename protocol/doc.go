// Package protocol is Spectrum 2's backend wire protocol: the generated pbnetwork messages
// (pbnetwork.proto is wire-identical to Spectrum 2's protocol.proto, spec 1.2/1.3), the
// framing (a 4-byte big-endian length, then a serialized WrapperMessage, spec 1.1), and the
// mapping from a frame's type to its typed payload.
//
// Decoding uses proto.UnmarshalOptions{AllowPartial: true}: C++ and Python peers sometimes
// omit required fields, and proto2's required check would drop the whole frame. Callers
// validate the fields each handler needs.
package protocol
