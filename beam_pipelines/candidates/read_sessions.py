"""ReadSessions: session files of one split -> SessionRecords, bad records to dead letters.

A record that is not a session SequenceExample of the contract never stops the job: it is
counted (`Metrics.counter("tscac.candidates", "malformed_session")`) and emitted on the
`dead_letters` output as {"kind": "session", "split", "reason", "detail", "record_bytes"}.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.metrics import Metrics

from beam_pipelines.candidates.session_record import MalformedSession, decode_session

NAMESPACE = "tscac.candidates"
SESSIONS = "sessions"
DEAD_LETTERS = "dead_letters"
MALFORMED_SESSION = "malformed_session"


class DecodeSessionFn(beam.DoFn):
    """bytes -> SessionRecord on the main output, or a dead letter on DEAD_LETTERS."""

    def __init__(self, split: str):
        self._split = split
        self._malformed = Metrics.counter(NAMESPACE, MALFORMED_SESSION)

    def process(self, serialized: bytes):
        try:
            yield decode_session(serialized)
        except MalformedSession as e:
            self._malformed.inc()
            yield beam.pvalue.TaggedOutput(
                DEAD_LETTERS,
                {
                    "kind": "session",
                    "split": self._split,
                    "reason": MALFORMED_SESSION,
                    "detail": str(e),
                    "record_bytes": len(serialized),
                },
            )


class ReadSessions(beam.PTransform):
    """Reads `pattern` (gzip TFRecords); outputs {SESSIONS: records, DEAD_LETTERS: dicts}."""

    def __init__(self, pattern: str, split: str):
        super().__init__()
        self._pattern = pattern
        self._split = split

    def expand(self, pbegin):
        return (
            pbegin
            | "ReadRecords"
            >> beam.io.ReadFromTFRecord(self._pattern, compression_type=CompressionTypes.GZIP)
            | "DecodeSessions"
            >> beam.ParDo(DecodeSessionFn(self._split)).with_outputs(DEAD_LETTERS, main=SESSIONS)
        )
