package mimetree

import (
	"errors"
	"strconv"

	"github.com/emersion/go-message"
)

// Limits bounds the work Parse does on hostile input. Zero (or negative)
// fields mean the defaults: MaxDepth 32, MaxParts 1000.
type Limits struct {
	MaxDepth int // deepest Object.Depth a container may have and still be opened
	MaxParts int // most objects (of every kind, the root included) in Message.Objects
}

const (
	defaultMaxDepth = 32
	defaultMaxParts = 1000
)

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = defaultMaxDepth
	}
	if l.MaxParts <= 0 {
		l.MaxParts = defaultMaxParts
	}
	return l
}

// Errors set on Object.Err (possibly wrapped, or joined with others: test
// them with errors.Is).
var (
	ErrMalformedHeader = errors.New("mimetree: malformed header")
	ErrNoBoundary      = errors.New("mimetree: multipart without usable boundary")
	ErrTruncated       = errors.New("mimetree: multipart has no closing boundary")
	ErrTooDeep         = errors.New("mimetree: nesting too deep")
	ErrTooManyParts    = errors.New("mimetree: too many parts")
	ErrDecode          = errors.New("mimetree: damaged transfer encoding")
	ErrUnknownEncoding = errors.New("mimetree: unknown transfer encoding")
	ErrBadUUEncode     = errors.New("mimetree: malformed uuencoded block")
)

// ErrUnknownPath is returned (wrapped) by RenderBody for an edit that names
// no object of the message.
var ErrUnknownPath = errors.New("mimetree: unknown object path")

// Kind tells what an Object is.
type Kind int

const (
	KindLeaf      Kind = iota // a single-part entity (or a container that could not be opened)
	KindMultipart             // multipart/*: Children are its body parts
	KindMessage               // message/rfc822 or message/global: one child, the nested message
	KindUUEncoded             // a uuencoded block found inside a text/plain leaf
)

func (k Kind) String() string {
	switch k {
	case KindLeaf:
		return "leaf"
	case KindMultipart:
		return "multipart"
	case KindMessage:
		return "message"
	case KindUUEncoded:
		return "uuencoded"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Message is a parsed message: the tree of its objects plus what is needed to
// render a modified copy byte-for-byte where nothing changed.
type Message struct {
	// Raw is the input after dropping a leading mbox "From " line. It
	// aliases the slice given to Parse: do not modify either.
	Raw       []byte
	Header    message.Header // top-level header (the fields that could be parsed)
	HeaderLen int            // bytes of Raw taken by the header block, blank line included
	Root      *Object        // the top-level entity
	Objects   []*Object      // every object in pre-order; Objects[i].ID == i
	// Err is set when the top-level header is malformed. Root then is a leaf
	// holding Raw[HeaderLen:] undecoded, with the same Err.
	Err error

	nl string // line ending of the input: "\r\n" or "\n"
}

// Object is one node of the tree: an entity (root, body part, nested
// message) or a uuencoded block inside a text part. Treat every field as
// read-only; Content may alias Raw.
type Object struct {
	ID       int
	Path     string // see the package documentation for the scheme
	Kind     Kind
	Parent   *Object
	Children []*Object
	Header   message.Header // zero for uuencoded blocks

	MediaType   string            // lowercased; "text/plain" when absent
	Params      map[string]string // Content-Type parameters, decoded; may be nil
	Name        string            // file name, decoded (RFC 2047, RFC 2231)
	Disposition string            // "attachment", "inline" or ""
	Charset     string            // lowercased charset parameter, "" when absent

	// Content is the decoded body (transfer encoding undone, charset
	// untouched) of leaves and uuencoded blocks; nil for containers.
	Content []byte
	Err     error // what was wrong with this object; nil when it parsed cleanly
	Depth   int   // 0 for the root

	// BlockStart and BlockEnd locate a KindUUEncoded block ("begin" line
	// through "end" line) in Parent.Content.
	BlockStart, BlockEnd int

	// Where the entity lies in src (Raw, or the decoded body of an encoded
	// message/rfc822 part): header at [start, bodyStart), body up to end.
	src                   []byte
	start, bodyStart, end int
	cte                   string // normalized Content-Transfer-Encoding
	closed                bool   // multipart: close delimiter found
	tail                  int    // multipart: where the bytes after the last parsed child begin
}

// isRootLike reports whether o is the top-level entity of a message (the
// root, or the entity nested in a message/rfc822 part): its header also
// carries non-MIME fields that edits must keep.
func (o *Object) isRootLike() bool {
	return o.Parent == nil || o.Parent.Kind == KindMessage
}

// childPath is the path of the n-th child (1-based; 0 for the entity nested
// in a message/rfc822 object) of the object at path parent.
func childPath(parent string, n int) string {
	if parent == "" {
		return strconv.Itoa(n)
	}
	return parent + "." + strconv.Itoa(n)
}

// uuPath is the path of the n-th (1-based) uuencoded block of parent.
func uuPath(parent string, n int) string {
	return parent + "/uu" + strconv.Itoa(n)
}
