package irc

import (
	"strings"
)

// IRC formatting control characters.
const (
	fmtBold      = '\x02'
	fmtColor     = '\x03'
	fmtHexColor  = '\x04'
	fmtReset     = '\x0f'
	fmtMonospace = '\x11'
	fmtReverse   = '\x16'
	fmtItalic    = '\x1d'
	fmtStrike    = '\x1e'
	fmtUnderline = '\x1f'
)

// StripFormatting removes IRC formatting (bold, colours, ...) and leaves plain text.
func StripFormatting(s string) string {
	if !strings.ContainsAny(s, "\x02\x03\x04\x0f\x11\x16\x1d\x1e\x1f") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case fmtColor:
			i = skipColor(s, i, isDigit, 2)
		case fmtHexColor:
			i = skipColor(s, i, isHex, 6)
		case fmtBold, fmtReset, fmtMonospace, fmtReverse, fmtItalic, fmtStrike, fmtUnderline:
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// skipColor skips the "fg[,bg]" digits after a colour code at i; it returns the index of
// the last byte consumed.
func skipColor(s string, i int, ok func(byte) bool, width int) int {
	j := skipN(s, i+1, ok, width)
	if j < len(s)-1 && s[j] == ',' && ok(s[j+1]) && j > i+1 {
		j = skipN(s, j+1, ok, width)
	}
	return j - 1
}

func skipN(s string, j int, ok func(byte) bool, width int) int {
	for k := 0; k < width && j < len(s) && ok(s[j]); k++ {
		j++
	}
	return j
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// FormattingToXHTML maps bold, italic and underline to XHTML-IM markup (the inner XML of
// the <body/>); it returns "" when the text has none of them, so that no XHTML is sent.
// Colours and the rest are dropped.
func FormattingToXHTML(s string) string {
	if !strings.ContainsAny(s, "\x02\x1d\x1f") {
		return ""
	}
	var b strings.Builder
	var bold, italic, underline bool
	open, dirty := false, false
	flush := func() {
		if open {
			b.WriteString("</span>")
			open = false
		}
		var css []string
		if bold {
			css = append(css, "font-weight: bold")
		}
		if italic {
			css = append(css, "font-style: italic")
		}
		if underline {
			css = append(css, "text-decoration: underline")
		}
		if len(css) > 0 {
			b.WriteString(`<span style="` + strings.Join(css, "; ") + `">`)
			open = true
		}
	}
	plain := StripFormatting(strings.NewReplacer("\x02", "\x00b", "\x1d", "\x00i", "\x1f", "\x00u", "\x0f", "\x00r").Replace(s))
	for i := 0; i < len(plain); i++ {
		if plain[i] == 0 && i+1 < len(plain) {
			i++
			switch plain[i] {
			case 'b':
				bold = !bold
			case 'i':
				italic = !italic
			case 'u':
				underline = !underline
			case 'r':
				bold, italic, underline = false, false, false
			}
			dirty = true
			continue
		}
		if dirty {
			flush()
			dirty = false
		}
		escapeByte(&b, plain[i])
	}
	if open {
		b.WriteString("</span>")
	}
	return b.String()
}

func escapeByte(b *strings.Builder, c byte) {
	switch c {
	case '<':
		b.WriteString("&lt;")
	case '>':
		b.WriteString("&gt;")
	case '&':
		b.WriteString("&amp;")
	case '"':
		b.WriteString("&quot;")
	default:
		b.WriteByte(c)
	}
}
