// Package curl builds the curl command a check runs in the client pod and
// parses what curl prints into an observation. curl runs without --fail: the
// status, headers, body size, timing and curl's own exit code all come from its
// output (-D for headers, -w '%{json}' for the rest).
package curl

import (
	"maps"
	"slices"
	"strconv"
	"time"
)

// DefaultMaxTime bounds one curl attempt unless Options.MaxTime says otherwise.
const DefaultMaxTime = 10 * time.Second

// jsonMarker separates the dumped headers from curl's %{json} write-out.
const jsonMarker = "<<<curl-json>>>"

// Options shape the curl command line.
type Options struct {
	// Method is the request's method: HEAD (curl -I) when empty.
	Method string
	// Headers are sent with -H, in name order.
	Headers map[string]string
	// MaxTime bounds one attempt (curl --max-time); zero means DefaultMaxTime.
	MaxTime time.Duration
	// CACert is a CA bundle path inside the client pod (curl --cacert), for the
	// hermetic host; empty in internet mode, where curl verifies against system roots.
	CACert string
}

// Command returns the argv that runs one check's request. TLS is always
// verified: there is no -k.
func Command(url string, o Options) []string {
	maxTime := o.MaxTime
	if maxTime <= 0 {
		maxTime = DefaultMaxTime
	}
	args := []string{"curl", "--silent", "--show-error",
		"--dump-header", "-", "--output", "/dev/null",
		"--write-out", "\n" + jsonMarker + "%{json}",
		"--max-time", strconv.FormatFloat(maxTime.Seconds(), 'f', -1, 64),
	}
	// --head makes a HEAD request and expects no body; --request alone would
	// wait for a HEAD answer's body (curl's manual, -X).
	if o.Method == "" || o.Method == "HEAD" {
		args = append(args, "--head")
	} else {
		args = append(args, "--request", o.Method)
	}
	for _, name := range slices.Sorted(maps.Keys(o.Headers)) {
		// "name:" with no value makes curl remove the header; "name;" sends
		// it empty (curl's manual, -H).
		h := name + ": " + o.Headers[name]
		if o.Headers[name] == "" {
			h = name + ";"
		}
		args = append(args, "--header", h)
	}
	if o.CACert != "" {
		args = append(args, "--cacert", o.CACert)
	}
	return append(args, url)
}
