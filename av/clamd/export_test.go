package clamd

// DecodeInstream lets the external tests read a stream as clamd does.
var DecodeInstream = decodeInstream
