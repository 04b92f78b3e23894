package ratelimit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"sync"

	"github.com/restwell/restwell/internal/sfv"
)

// Quota units of Policy.Unit, as the draft names them.
const (
	// UnitRequests counts requests; it is what Unit "" means, and it is not
	// advertised.
	UnitRequests = "requests"
	// UnitContentBytes counts content bytes, for a Config.Cost that
	// returns a request's size.
	UnitContentBytes = "content-bytes"
)

// pkSize is the number of HMAC bytes in a pk parameter: 128 bits, enough
// that two clients never share a partition key by accident.
const pkSize = 16

// appendUnit appends the qu parameter of p, when its unit is not requests.
func appendUnit(b []byte, p *Policy) []byte {
	if p.Unit == "" || p.Unit == UnitRequests {
		return b
	}
	b = append(b, ";qu="...)
	return sfv.AppendString(b, p.Unit)
}

// partition computes pk parameters: an HMAC-SHA256 of the client key with
// Config.PartitionKey, so that a client can tell its partitions apart
// without learning the key (an address, an API key) the server counts it
// under.
type partition struct {
	pool sync.Pool // of hash.Hash
}

func newPartition(secret []byte) *partition {
	secret = append([]byte(nil), secret...)
	return &partition{pool: sync.Pool{New: func() any { return hmac.New(sha256.New, secret) }}}
}

// appendPK appends ";pk=:...:" for key, an sf-binary of the first pkSize
// bytes of the HMAC.
func (p *partition) appendPK(b []byte, key string) []byte {
	h := p.pool.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(key))
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	p.pool.Put(h)
	b = append(b, ";pk=:"...)
	b = base64.StdEncoding.AppendEncode(b, sum[:pkSize])
	return append(b, ':')
}

// appendPartition appends d's pk parameter when Config.PartitionKey is set.
func (l *Limiter) appendPartition(b []byte, d *Decision) []byte {
	if l.partition == nil {
		return b
	}
	return l.partition.appendPK(b, d.key)
}
