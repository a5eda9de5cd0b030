/**
 * The error table. Every error a user can see at run time carries one of these codes; the
 * reference page docs/errors.md is generated from this table and a test fails when it drifts.
 */
export const errorCodes = {
  parse_failed: 'An input could not be parsed in the configured format.',
  invalid_utf8: 'An input line was not valid UTF-8.',
  line_too_long: 'An input line exceeded the source\'s max_line_bytes.',
  condition_failed: 'A condition or computed value failed at run time (see the reason).',
  remap_aborted: 'A remap program aborted the event with `abort`.',
  remap_failed: 'A remap program failed at run time (see the reason).',
  encode_failed: 'An event could not be encoded for the destination.',
  delivery_failed: 'A sink gave up delivering after its retries.',
  rejected: 'The destination rejected the event permanently.',
  unrouted: 'A route transform had no matching route and no default output consumer.',
  request_invalid: 'An HTTP request to a source was malformed.',
  buffer_write_failed: 'A sink\'s disk buffer could not store a batch (disk full or I/O error); it is retried.',
  buffer_corrupt: 'Corrupt records were skipped in a sink\'s disk buffer (see the log for file:offset).',
  ocsf_unmapped: 'normalize found no pack for the event, or its pack could not map it (see the reason).',
  ocsf_invalid: 'normalize mapped the event, but the result is not valid OCSF (the reason lists each violation with its field path).',
  enrichment_failed: 'An enrichment could not look the event up (provider down, timeout, circuit breaker open) and was told to treat that as an error (http_enrich on_failure: error).',
  transform_failed: 'A transform failed on a batch (a defect in the component); the events are kept with the reason.',
  component_failed: 'A component stopped with an error (counted in metrics; see the log).',
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** Exit codes (sysexits.h where one fits). */
export const exitCodes = {
  ok: 0,
  failure: 1,
  usage: 64,
  dataErr: 65,
  config: 78,
} as const;
