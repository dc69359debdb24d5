-- Content stored once per trace (src/store/content-refs.ts). An agent loop re-sends its history with every model
-- call; each distinct message, tool definition list and piece of a long attribute value is kept here once per
-- trace, addressed by the first 64 bits of its SHA-1 (hex), and span rows hold the hashes. Lookups are always
-- within one trace, so a collision would have to be found within one trace's own contents. ReplacingMergeTree
-- collapses the copies that retries and a receiver's bounded memory of what it already wrote leave behind (within a
-- partition: copies from different ingest months stay, and readers pick one).
-- SQL readers go through resolved_spans (src/store/resolved-spans.sql) and TypeScript readers through
-- src/store/trace-contents.ts, which put the text back.
CREATE TABLE IF NOT EXISTS contents {{on_cluster}}
(
    tenant LowCardinality(String),
    trace_id String,
    hash FixedString(16) CODEC(ZSTD(3)),
    text String CODEC(ZSTD(3)),
    ingested_at DateTime64(3) DEFAULT now64(3)
)
ENGINE = {{engine:ReplacingMergeTree}}
PARTITION BY toYYYYMM(ingested_at)
ORDER BY (tenant, trace_id, hash);

-- References from a span to its contents. Old rows (and values that cannot be referenced exactly) keep the text
-- inline in input_messages, output_messages, tool_definitions, tool_result and attributes, with these empty. The
-- hashes are hex, so ZSTD (whose entropy coding halves hex, where LZ4 keeps it whole) stores them at about the
-- cost of binary; a loop's successive calls refer to ever longer prefixes of the same list, which it also finds.
ALTER TABLE spans {{on_cluster}} ADD COLUMN IF NOT EXISTS input_message_refs Array(FixedString(16)) CODEC(ZSTD(3)) AFTER tool_definitions,
    ADD COLUMN IF NOT EXISTS output_message_refs Array(FixedString(16)) CODEC(ZSTD(3)) AFTER input_message_refs,
    ADD COLUMN IF NOT EXISTS tool_definitions_ref String CODEC(ZSTD(3)) AFTER output_message_refs,
    -- A tool result as its span's attribute sent it is referenced too, so the two share one content.
    ADD COLUMN IF NOT EXISTS tool_result_ref String CODEC(ZSTD(3)) AFTER tool_result,
    -- A long attribute value is `open + arrayStringConcat(texts of refs, separator) + close`: a JSON array split
    -- into its elements (message lists), or the whole value as one ref with the three strings empty.
    ADD COLUMN IF NOT EXISTS attribute_refs Array(Tuple(key String, open String, separator String, close String, refs Array(FixedString(16)))) CODEC(ZSTD(3)) AFTER attributes;
