package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

var durationType = reflect.TypeFor[time.Duration]()

// convert turns a decoded TOML value into a value of type t, or says why it cannot.
// Negative numbers and durations are refused: no option has a meaning for them.
func convert(raw any, t reflect.Type) (any, string) {
	switch {
	case t == durationType:
		return convertDuration(raw)
	case t == memberSliceType:
		return convertMembers(raw)
	case t.Kind() == reflect.String:
		if s, ok := raw.(string); ok {
			return s, ""
		}
	case t.Kind() == reflect.Int:
		if n, ok := raw.(int64); ok {
			if n < 0 {
				return nil, "must not be negative"
			}
			if n > math.MaxInt32 {
				return nil, fmt.Sprintf("%d is too large", n)
			}
			return int(n), ""
		}
	case t.Kind() == reflect.Bool:
		if b, ok := raw.(bool); ok {
			return b, ""
		}
	case t.Kind() == reflect.Pointer: // *bool: an optional override
		if b, ok := raw.(bool); ok {
			return &b, ""
		}
	case t.Kind() == reflect.Slice:
		return convertStrings(raw)
	}
	return nil, fmt.Sprintf("must be %s, not %s", typeName(t), tomlType(raw))
}

func convertDuration(raw any) (any, string) {
	s, ok := raw.(string)
	if !ok {
		return nil, fmt.Sprintf("must be a duration string like \"30s\" or \"5m\", not %s", tomlType(raw))
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return nil, fmt.Sprintf("%q is not a duration like \"30s\" or \"5m\"", s)
	case d < 0:
		return nil, "must not be negative"
	}
	return d, ""
}

// convertStrings accepts an array of strings, or a single string as a one-element list.
func convertStrings(raw any) (any, string) {
	if s, ok := raw.(string); ok {
		return []string{s}, ""
	}
	arr, ok := raw.([]any)
	if !ok {
		return nil, fmt.Sprintf("must be an array of strings, not %s", tomlType(raw))
	}
	var out []string // nil for [], like an absent key
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Sprintf("must be an array of strings, but has %s", tomlType(e))
		}
		out = append(out, s)
	}
	return out, ""
}

// typeName is how docs and messages name the TOML type of a field.
func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Int:
		return "an integer"
	case t.Kind() == reflect.Bool, t.Kind() == reflect.Pointer:
		return "a boolean"
	case t.Kind() == reflect.Slice:
		return "an array of strings"
	}
	return t.String()
}

// tomlType names the type of a decoded TOML value for messages.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	default:
		return "a date/time"
	}
}

// formatDuration writes d in the shortest of "2h", "5m", "30s", else as time.Duration does.
func formatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

// iniScalar formats a scalar [backend_ini] value as Spectrum 2's INI readers expect:
// booleans 0/1, numbers in decimal, strings unquoted.
func iniScalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case int64:
		return strconv.FormatInt(v, 10), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		if v {
			return "1", true
		}
		return "0", true
	}
	return "", false
}

// iniValues converts a [backend_ini] value: a scalar, or an array of scalars (a repeated key).
func iniValues(raw any) ([]string, string) {
	const want = "must be a string, number, boolean or an array of those"
	if arr, ok := raw.([]any); ok {
		out := make([]string, 0, len(arr))
		for _, e := range arr {
			s, ok := iniScalar(e)
			if !ok {
				return nil, want + ", but the array has " + tomlType(e)
			}
			out = append(out, s)
		}
		return out, ""
	}
	s, ok := iniScalar(raw)
	if !ok {
		return nil, want + ", not " + tomlType(raw)
	}
	return []string{s}, ""
}

// iniUnsafe says why s cannot be an INI section, key or value, or "".
// boost::program_options (spec 4.1) and internal/ini end a value at '#'.
func iniUnsafe(s string, isName bool) string {
	switch {
	case strings.ContainsAny(s, "\r\n"):
		return "contains a line break, which an INI file cannot hold"
	case strings.Contains(s, "#"):
		return "contains '#', which Spectrum 2's INI readers take as the start of a comment"
	case isName && (strings.TrimSpace(s) != s || s == "" || strings.ContainsAny(s, "[]=;")):
		return fmt.Sprintf("%q cannot be an INI name", s)
	case strings.TrimSpace(s) != s:
		return "has leading or trailing spaces, which INI readers drop"
	}
	return ""
}
