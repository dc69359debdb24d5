-- Embeddings of trajectory task texts, for the optional embedding ranker of GET /v1/trajectories/search.
-- Keyed by tenant, model and a hash of the text, so a text is embedded once per model and never shared across
-- tenants; a changed task text is a new key.
CREATE TABLE IF NOT EXISTS text_embeddings {{on_cluster}}
(
    tenant LowCardinality(String),
    model LowCardinality(String),
    text_hash String,
    embedding Array(Float32),
    created_at DateTime64(3) DEFAULT now64(3)
)
ENGINE = {{engine:ReplacingMergeTree}}
ORDER BY (tenant, model, text_hash);
