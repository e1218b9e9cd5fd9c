package bayes

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Redis is a Store on a Redis server, shared by several gateways. Counts
// are in three hashes: prefix+"spam" and prefix+"ham" map tokens to
// counts, prefix+"totals" holds the message counts.
type Redis struct {
	client *redis.Client
	prefix string
}

var _ Store = (*Redis)(nil)

// NewRedis returns a store on the server at addr. It does not connect
// until first used.
func NewRedis(addr, prefix string) *Redis {
	return &Redis{client: redis.NewClient(&redis.Options{Addr: addr, MaxRetries: 1}), prefix: prefix}
}

// Close closes the connections.
func (r *Redis) Close() error { return r.client.Close() }

// Lookup implements Store with one round trip.
func (r *Redis) Lookup(ctx context.Context, tokens []string) (Counts, []Counts, error) {
	pipe := r.client.Pipeline()
	totals := pipe.HMGet(ctx, r.prefix+"totals", "spam", "ham")
	out := make([]Counts, len(tokens))
	if len(tokens) == 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return Counts{}, nil, fmt.Errorf("redis: %w", err)
		}
		return Counts{Spam: toInt(totals.Val()[0]), Ham: toInt(totals.Val()[1])}, out, nil
	}
	spam := pipe.HMGet(ctx, r.prefix+"spam", tokens...)
	ham := pipe.HMGet(ctx, r.prefix+"ham", tokens...)
	if _, err := pipe.Exec(ctx); err != nil {
		return Counts{}, nil, fmt.Errorf("redis: %w", err)
	}
	tot := Counts{Spam: toInt(totals.Val()[0]), Ham: toInt(totals.Val()[1])}
	for i, v := range spam.Val() {
		out[i].Spam = toInt(v)
	}
	for i, v := range ham.Val() {
		out[i].Ham = toInt(v)
	}
	return tot, out, nil
}

// Learn implements Store in one transaction (MULTI/EXEC), so that
// counts and totals never disagree.
func (r *Redis) Learn(ctx context.Context, messages [][]string, spam bool) error {
	class := "ham"
	if spam {
		class = "spam"
	}
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, tokens := range messages {
			for _, t := range tokens {
				p.HIncrBy(ctx, r.prefix+class, t, 1)
			}
		}
		p.HIncrBy(ctx, r.prefix+"totals", class, int64(len(messages)))
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

func toInt(v any) int64 {
	s, ok := v.(string)
	if !ok {
		return 0
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
