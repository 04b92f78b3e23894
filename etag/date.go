package etag

import (
	"net/http"
	"time"
)

// ParseDate parses an HTTP-date (RFC 9110 §5.6.7) in any of its three
// forms, exactly as the grammar gives them:
//
//	Sun, 06 Nov 1994 08:49:37 GMT   (IMF-fixdate, the one to send)
//	Sunday, 06-Nov-94 08:49:37 GMT  (obsolete RFC 850 form)
//	Sun Nov  6 08:49:37 1994        (obsolete asctime form)
//
// Names are case-sensitive, every field has its fixed width, the zone is
// GMT, and the day must exist in its month; the weekday is checked for
// spelling but not against the date. A leap second (:60) is accepted and
// rolls over into the next minute. A two-digit RFC 850 year that would lie
// more than 50 years in the future means the most recent past year with
// those digits, as the RFC requires. The result is in UTC. ParseDate
// allocates nothing.
func ParseDate(s string) (t time.Time, ok bool) {
	switch {
	case len(s) == 29 && s[3] == ',':
		return parseIMF(s)
	case len(s) == 24 && s[3] == ' ':
		return parseASC(s)
	default:
		return parse850(s)
	}
}

var (
	dayNames   = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	dayNamesL  = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	monthNames = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// parseIMF parses "Sun, 06 Nov 1994 08:49:37 GMT".
func parseIMF(s string) (time.Time, bool) {
	if !isDayName(s[0:3]) || s[3:5] != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[25:] != " GMT" {
		return time.Time{}, false
	}
	day, ok1 := digits(s[5:7])
	month := monthIndex(s[8:11])
	year, ok2 := digits(s[12:16])
	if !ok1 || !ok2 || month == 0 {
		return time.Time{}, false
	}
	return build(year, month, day, s[17:25])
}

// parse850 parses "Sunday, 06-Nov-94 08:49:37 GMT".
func parse850(s string) (time.Time, bool) {
	comma := -1
	for i := 0; i < len(s) && i < 10; i++ {
		if s[i] == ',' {
			comma = i
			break
		}
	}
	if comma < 0 || !isLongDayName(s[:comma]) {
		return time.Time{}, false
	}
	s = s[comma:]
	// ", 06-Nov-94 08:49:37 GMT"
	if len(s) != 24 || s[0:2] != ", " || s[4] != '-' || s[8] != '-' || s[11] != ' ' || s[20:] != " GMT" {
		return time.Time{}, false
	}
	day, ok1 := digits(s[2:4])
	month := monthIndex(s[5:8])
	yy, ok2 := digits(s[9:11])
	if !ok1 || !ok2 || month == 0 {
		return time.Time{}, false
	}
	return build(fullYear(yy, time.Now().UTC().Year()), month, day, s[12:20])
}

// fullYear expands a two-digit year: the year in the current century,
// unless that is more than 50 years after now, then the one a century
// earlier (RFC 9110 §5.6.7).
func fullYear(yy, now int) int {
	y := now - now%100 + yy
	if y > now+50 {
		y -= 100
	}
	return y
}

// parseASC parses "Sun Nov  6 08:49:37 1994".
func parseASC(s string) (time.Time, bool) {
	if !isDayName(s[0:3]) || s[7] != ' ' || s[10] != ' ' || s[19] != ' ' {
		return time.Time{}, false
	}
	month := monthIndex(s[4:7])
	var day int
	var ok1 bool
	if s[8] == ' ' {
		day, ok1 = digits(s[9:10])
	} else {
		day, ok1 = digits(s[8:10])
	}
	year, ok2 := digits(s[20:24])
	if !ok1 || !ok2 || month == 0 {
		return time.Time{}, false
	}
	return build(year, month, day, s[11:19])
}

// build checks the ranges and assembles the time; hms is "08:49:37".
func build(year, month, day int, hms string) (time.Time, bool) {
	if hms[2] != ':' || hms[5] != ':' {
		return time.Time{}, false
	}
	h, ok1 := digits(hms[0:2])
	m, ok2 := digits(hms[3:5])
	sec, ok3 := digits(hms[6:8])
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 60 || day < 1 || day > daysIn(month, year) {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, h, m, sec, 0, time.UTC), true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func isDayName(s string) bool {
	for _, d := range dayNames {
		if s == d {
			return true
		}
	}
	return false
}

func isLongDayName(s string) bool {
	for _, d := range dayNamesL {
		if s == d {
			return true
		}
	}
	return false
}

// monthIndex returns 1 to 12, or 0 for no month name.
func monthIndex(s string) int {
	for i, m := range monthNames {
		if s == m {
			return i + 1
		}
	}
	return 0
}

// AppendDate appends t as an IMF-fixdate, the form to send
// (`Sun, 06 Nov 1994 08:49:37 GMT`), converting it to UTC and dropping
// fractions of a second.
func AppendDate(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, http.TimeFormat)
}

// FormatDate returns t as an IMF-fixdate, like AppendDate.
func FormatDate(t time.Time) string {
	var buf [len(http.TimeFormat)]byte
	return string(AppendDate(buf[:0], t))
}

// SetLastModified sets the Last-Modified header of h to t as an
// IMF-fixdate. A zero t removes the header instead.
func SetLastModified(h http.Header, t time.Time) {
	if t.IsZero() {
		delete(h, "Last-Modified")
		return
	}
	h["Last-Modified"] = []string{FormatDate(t)}
}
