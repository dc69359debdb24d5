-- The record of applied migrations: one row per version, with the checksum of the statements that were applied
-- (src/store/migrate.ts). Release 0.1.0 created this table without `checksum`; the ALTER adds it in place and its
-- rows are adopted with the checksum of the same version's file on the first start of a checksumming release.
CREATE TABLE IF NOT EXISTS schema_migrations {{on_cluster}}
(
    version UInt32,
    name String,
    checksum String DEFAULT '',
    applied_at DateTime DEFAULT now()
)
ENGINE = {{engine:ReplacingMergeTree}}
ORDER BY version;

ALTER TABLE schema_migrations {{on_cluster}} ADD COLUMN IF NOT EXISTS checksum String DEFAULT '' AFTER name;

-- Which build's derived definitions (views, materialized views, seeds) a store runs: the epoch grows whenever a
-- derived definition changes (src/store/derived-definitions.ts), so a receiver of an older build that restarts
-- during a rolling upgrade refuses to put its older views back over a newer build's.
CREATE TABLE IF NOT EXISTS schema_derived_definitions {{on_cluster}}
(
    epoch UInt32,
    checksum String,
    applied_at DateTime DEFAULT now()
)
ENGINE = {{engine:ReplacingMergeTree}}
ORDER BY epoch;
