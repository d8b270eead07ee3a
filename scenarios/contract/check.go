package contract

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

var namePattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Check is one request and what it must meet.
type Check struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	// Method is the request's HTTP method: HEAD (curl -I) by default.
	Method string `yaml:"method,omitempty"`
	// Headers are request headers curl sends (-H name: value).
	Headers map[string]string `yaml:"headers,omitempty"`
	// HostDelay is how long the external host takes to answer this request
	// (httpbin.org/delay/5: 5s); unset means within DefaultHostDelay.
	// A sidecar-made 504 needs a timeout that fires before it.
	HostDelay *Duration `yaml:"hostDelay,omitempty"`
	Expect    Expect    `yaml:"expect"`
}

// DefaultMethod is the method of a check that names none: curl -I's.
const DefaultMethod = "HEAD"

// RequestMethod is the check's method, or DefaultMethod.
func (c Check) RequestMethod() string {
	if c.Method == "" {
		return DefaultMethod
	}
	return c.Method
}

// AnswerDelay is how long the host takes to answer: HostDelay, or the default.
func (c Check) AnswerDelay() time.Duration {
	if d := c.DeclaredHostDelay(); d > 0 {
		return d
	}
	return DefaultHostDelay
}

// DeclaredHostDelay is the check's hostDelay; zero when it sets none.
func (c Check) DeclaredHostDelay() time.Duration {
	if c.HostDelay == nil {
		return 0
	}
	return c.HostDelay.Duration
}

// tokenPattern is an HTTP token (RFC 9110 section 5.6.2): a method or a
// header name.
var tokenPattern = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// CheckName refuses a name that is not lowercase letters, digits and dashes
// (a scenario's, a check's), naming field.
func CheckName(field, name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("%s: %q: expected lowercase letters, digits and dashes, starting and ending with a letter or digit", field, name)
	}
	return nil
}

// Validate checks the check's fields; field names it in errors (checks[0]).
func (c *Check) Validate(field string) error {
	if err := CheckName(field+".name", c.Name); err != nil {
		return err
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return fmt.Errorf("%s.url: %q: expected an absolute http:// or https:// URL with a host", field, c.URL)
	}
	if c.Method != "" && !tokenPattern.MatchString(c.Method) {
		return fmt.Errorf("%s.method: %q: expected an HTTP method (a token such as GET, HEAD, POST; HEAD by default)", field, c.Method)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Headers)) {
		value := c.Headers[name]
		switch {
		case !tokenPattern.MatchString(name):
			return fmt.Errorf("%s.headers: %q: expected an HTTP header name (a token)", field, name)
		case strings.EqualFold(name, "host"):
			return fmt.Errorf("%s.headers: %q: the Host is the URL's; expected another header", field, name)
		case strings.ContainsAny(value, "\r\n\x00"):
			return fmt.Errorf("%s.headers.%s: expected a value on one line, without NUL", field, name)
		}
	}
	return c.Expect.Validate(field + ".expect")
}
