package quarantine

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseMeta(t *testing.T) {
	const good = `{"id":"x1","status":"as/spam","size":10,"arrival":"2007-12-12T15:13:51+03:00",` +
		`"client_ip":"10.0.0.1","sender":"a@b","recipients":["c@d"]}`
	tests := []struct {
		name, data, err string
	}{
		{"good", good, ""},
		{"unknown fields are kept readable", strings.Replace(good, `"size"`, `"future":[1,2],"size"`, 1), ""},
		{"no client IP", strings.Replace(good, `"10.0.0.1"`, `""`, 1), ""},
		{"null sender", strings.Replace(good, `"a@b"`, `""`, 1), ""},
		{"IPv6 client", strings.Replace(good, `"10.0.0.1"`, `"2001:db8::1"`, 1), ""},
		{"empty", "", "not a JSON object"},
		{"array", "[]", "not a JSON object"},
		{"null", "null", "not a JSON object"},
		{"truncated", good[:40], "unexpected EOF"},
		{"trailing data", good + "{}", "data after"},
		{"bad id", strings.Replace(good, `"x1"`, `"../x"`, 1), "invalid message ID"},
		{"no id", strings.Replace(good, `"id":"x1",`, "", 1), "invalid message ID"},
		{"no status", strings.Replace(good, `"as/spam"`, `""`, 1), "empty status"},
		{"status with space", strings.Replace(good, `"as/spam"`, `"as spam"`, 1), "printable"},
		{"negative size", strings.Replace(good, `10`, `-1`, 1), "negative size"},
		{"no arrival", strings.Replace(good, `"arrival":"2007-12-12T15:13:51+03:00",`, "", 1), "no arrival"},
		{"bad arrival", strings.Replace(good, `2007-12-12T`, `yesterday `, 1), "cannot parse"},
		{"bad IP", strings.Replace(good, `"10.0.0.1"`, `"10.0.0.256"`, 1), "ParseAddr"},
		{"recipients not a list", strings.Replace(good, `["c@d"]`, `"c@d"`, 1), "recipients"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMeta([]byte(tt.data))
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("ParseMeta: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("ParseMeta error = %v, want one containing %q", err, tt.err)
			}
		})
	}
}

func TestMetaRoundTrip(t *testing.T) {
	m := sampleMeta()
	m.ID, m.Size = "abc", 42
	data, err := m.marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseMeta(data)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Arrival.Equal(m.Arrival) {
		t.Errorf("arrival %v, want %v", got.Arrival, m.Arrival)
	}
	got.Arrival = m.Arrival
	if !reflect.DeepEqual(got, m) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, m)
	}
	for _, key := range []string{`"id"`, `"status"`, `"size"`, `"arrival": "2007-12-12T15:13:51+03:00"`, `"client_ip"`,
		`"sender"`, `"recipients"`, `"group"`, `"reasons"`, `"queue_id"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("ID.json lacks %s:\n%s", key, data)
		}
	}
}

// FuzzMeta checks that ParseMeta never panics and that whatever it
// accepts is written back to a file it reads as the same metadata.
func FuzzMeta(f *testing.F) {
	m := sampleMeta()
	m.ID = "seed"
	seed, _ := m.marshal()
	f.Add(seed)
	f.Add([]byte(`{"id":"a","status":"incoming","size":0,"arrival":"2024-01-01T00:00:00Z","client_ip":"","sender":"","recipients":null}`))
	f.Add([]byte(`{"id":"a","status":"s","arrival":"0001-01-01T00:00:00+00:01"}`))
	f.Add([]byte(`{"id":"a","status":"s","arrival":"9999-12-31T23:59:59-23:59","client_ip":"fe80::1%eth0"}`))
	f.Add([]byte(`{"id":"a","id":"b"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMeta(data)
		if err != nil {
			return
		}
		out, err := m.marshal()
		if err != nil {
			t.Fatalf("accepted metadata cannot be written: %v\n%q", err, data)
		}
		again, err := ParseMeta(out)
		if err != nil {
			t.Fatalf("written metadata is not readable: %v\n%s", err, out)
		}
		if !again.Arrival.Equal(m.Arrival) {
			t.Fatalf("arrival changed: %v -> %v", m.Arrival, again.Arrival)
		}
		again.Arrival = m.Arrival
		if !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip changed the metadata:\n%+v\n%+v", m, again)
		}
		// The index keeps the same metadata in its own encoding.
		st := stamp{mtime: 1, size: int64(len(data))}
		rst, rec, err := decodeRecord(encodeRecord(st, &m))
		if err != nil || rst != st {
			t.Fatalf("index record of accepted metadata: %v, %v", rst, err)
		}
		if !rec.Arrival.Equal(m.Arrival) {
			t.Fatalf("index record changed the arrival: %v -> %v", m.Arrival, rec.Arrival)
		}
		rec.Arrival = m.Arrival
		if !reflect.DeepEqual(rec, m) {
			t.Fatalf("index record changed the metadata:\n%+v\n%+v", m, rec)
		}
	})
}

// FuzzDecodeRecord feeds damaged index records to the decoder: it must
// refuse them, never panic or allocate without bound.
func FuzzDecodeRecord(f *testing.F) {
	m := sampleMeta()
	m.ID = "seed"
	rec := encodeRecord(stamp{mtime: 5, size: 7}, &m)
	f.Add(rec)
	f.Add(rec[:len(rec)-1])
	f.Add(append(rec[:16:16], 0xff, 0xff, 0xff, 0xff, 0x0f))
	f.Fuzz(func(t *testing.T, v []byte) {
		_, m, err := decodeRecord(v)
		if err != nil {
			return
		}
		if err := m.check(); err != nil {
			t.Fatalf("decoded an invalid Meta: %v", err)
		}
	})
}
