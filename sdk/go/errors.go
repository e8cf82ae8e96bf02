package eris

import (
	"errors"
	"fmt"
)

// APIError is an answer the coordinator gave with an error body {error: {code, message, path?, details?}}.
// Code is stable (ERIS_ERR_VALIDATION, ERIS_ERR_NOT_FOUND, …; ERIS_ERR_HTTP when the body was not the
// coordinator's), Path names the field at fault, Status is the HTTP status, Request is "METHOD /path".
// Use errors.As(err, &apiErr).
type APIError struct {
	Status  int
	Code    string
	Message string
	Path    string
	Details map[string]any
	Request string
}

func (e *APIError) Error() string {
	where := ""
	if e.Path != "" {
		where = " (at " + e.Path + ")"
	}
	return fmt.Sprintf("%s: %d %s: %s%s", e.Request, e.Status, e.Code, e.Message, where)
}

// The coordinator's stable error codes that a caller most often branches on.
const (
	CodeValidation   = "ERIS_ERR_VALIDATION"
	CodeUnauthorized = "ERIS_ERR_UNAUTHORIZED"
	CodeNotFound     = "ERIS_ERR_NOT_FOUND"
	CodeConflict     = "ERIS_ERR_CONFLICT"
	CodeNoTargets    = "ERIS_ERR_NO_TARGETS"
	CodeRateLimited  = "ERIS_ERR_RATE_LIMITED"
)

// IsCode reports whether err is (or wraps) an *APIError with this code.
func IsCode(err error, code string) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == code
}

// IsNotFound reports whether err is the coordinator's 404 (no such run, drill or fault).
func IsNotFound(err error) bool { return IsCode(err, CodeNotFound) }

// ConnectionError is a coordinator that could not be reached (refused, reset, DNS, TLS). URL names it; Err
// is the cause (errors.Unwrap / errors.As reach *url.Error, *net.OpError, x509 errors).
type ConnectionError struct {
	Op  string // "METHOD /path"
	URL string
	Err error
}

func (e *ConnectionError) Error() string {
	return fmt.Sprintf("%s: cannot reach the coordinator at %s: %v", e.Op, e.URL, e.Err)
}

func (e *ConnectionError) Unwrap() error { return e.Err }

// TimeoutError is a coordinator that did not answer within the client's timeout (or a Wait that ran out).
// It is not a ConnectionError; errors.Is(err, context.DeadlineExceeded) holds when a deadline caused it.
type TimeoutError struct {
	Op     string
	URL    string
	Within string
	Err    error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s: the coordinator at %s did not answer within %s: %v", e.Op, e.URL, e.Within, e.Err)
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// Timeout reports true (net.Error's convention).
func (e *TimeoutError) Timeout() bool { return true }

// ConfigError is a client that could not be configured: a bad base URL, an unreadable token or contexts file.
// Path names the setting at fault (baseURL, tokenFile, contexts.NAME.KEY, …).
type ConfigError struct {
	Path    string
	Message string
	Err     error
}

func (e *ConfigError) Error() string { return e.Message }

func (e *ConfigError) Unwrap() error { return e.Err }
