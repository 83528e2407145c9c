# Date and time functions, on fixed inputs only (timestamp() and plantimestamp() are not deterministic).
locals {
  datetime_formatdate_iso    = formatdate("YYYY-MM-DD'T'hh:mm:ssZ", "2018-01-02T23:12:01Z")
  datetime_formatdate_words  = formatdate("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z")
  datetime_formatdate_long   = formatdate("EEEE, DD-MMM-YY hh:mm:ss ZZZ", "2018-01-02T23:12:01Z")
  datetime_formatdate_12h    = formatdate("h:mm AA", "2018-01-02T23:12:01-08:00")
  datetime_formatdate_quote  = formatdate("h'h'mm", "2018-01-02T23:12:01-08:00")
  datetime_formatdate_offset = formatdate("ZZZZ ZZZZZ", "2018-01-02T23:12:01+05:30")
  datetime_timeadd           = timeadd("2017-11-22T00:00:00Z", "10m")
  datetime_timeadd_neg       = timeadd("2017-11-22T00:00:00Z", "-1h30m")
  datetime_timeadd_days      = timeadd("2024-02-28T12:00:00Z", "48h")
  datetime_timecmp_lt        = timecmp("2017-11-22T00:00:00Z", "2017-11-22T00:00:01Z")
  datetime_timecmp_eq        = timecmp("2017-11-22T01:00:00+01:00", "2017-11-22T00:00:00Z")
  datetime_timecmp_gt        = timecmp("2018-11-22T00:00:00Z", "2017-11-22T00:00:00Z")
  datetime_timestamp_type    = can(formatdate("YYYY", timestamp()))
}
