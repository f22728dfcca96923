import GRDB

/// The catalog's schema as named, forward-only migrations. Never edit a shipped migration:
/// append a new one. A catalog that has applied a migration not registered here was written
/// by a newer zoo (`DatabaseMigrator.hasBeenSuperseded`).
enum CatalogMigrations {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-encoders-checkpoints") { db in
            try db.execute(sql: """
                CREATE TABLE checkpoint (
                    digest TEXT PRIMARY KEY NOT NULL CHECK (length(digest) = 64),
                    total_bytes INTEGER NOT NULL CHECK (total_bytes >= 0),
                    files TEXT NOT NULL,
                    format TEXT NOT NULL,
                    created_at DATETIME NOT NULL
                );
                CREATE TABLE encoder (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    modality TEXT NOT NULL CHECK (modality IN ('vision', 'text')),
                    backend TEXT NOT NULL,
                    config TEXT NOT NULL,
                    pooled_width INTEGER,
                    token_width INTEGER,
                    preprocessing TEXT,
                    source TEXT,
                    license TEXT,
                    checkpoint_digest TEXT NOT NULL REFERENCES checkpoint(digest),
                    created_at DATETIME NOT NULL
                );
                CREATE INDEX encoder_checkpoint ON encoder(checkpoint_digest);
                CREATE TABLE encoder_alias (
                    alias TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
                    encoder_id INTEGER NOT NULL REFERENCES encoder(id) ON DELETE CASCADE
                );
                CREATE INDEX encoder_alias_encoder ON encoder_alias(encoder_id);
                CREATE TRIGGER encoder_name_free BEFORE INSERT ON encoder
                WHEN EXISTS (SELECT 1 FROM encoder_alias WHERE alias = NEW.name)
                BEGIN SELECT RAISE(ABORT, 'name is already an alias'); END;
                CREATE TRIGGER encoder_rename_free BEFORE UPDATE OF name ON encoder
                WHEN EXISTS (SELECT 1 FROM encoder_alias WHERE alias = NEW.name)
                BEGIN SELECT RAISE(ABORT, 'name is already an alias'); END;
                CREATE TRIGGER encoder_alias_free BEFORE INSERT ON encoder_alias
                WHEN EXISTS (SELECT 1 FROM encoder WHERE name = NEW.alias)
                BEGIN SELECT RAISE(ABORT, 'alias is already a name'); END;
                """)
        }
        migrator.registerMigration("v2-projectors-datasets-evals-plugins") { db in
            try db.execute(sql: """
                CREATE TABLE projector (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    vision_encoder_id INTEGER NOT NULL REFERENCES encoder(id),
                    text_encoder_id INTEGER NOT NULL REFERENCES encoder(id),
                    architecture TEXT NOT NULL,
                    checkpoint_digest TEXT NOT NULL REFERENCES checkpoint(digest),
                    training_config TEXT NOT NULL,
                    data_summary TEXT NOT NULL,
                    tag TEXT NOT NULL COLLATE NOCASE,
                    created_at DATETIME NOT NULL,
                    UNIQUE (vision_encoder_id, text_encoder_id, tag)
                );
                CREATE INDEX projector_text ON projector(text_encoder_id);
                CREATE INDEX projector_checkpoint ON projector(checkpoint_digest);
                CREATE TABLE dataset (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    path TEXT NOT NULL,
                    format TEXT NOT NULL,
                    task TEXT NOT NULL,
                    split TEXT,
                    options TEXT NOT NULL DEFAULT '{}',
                    created_at DATETIME NOT NULL
                );
                CREATE TABLE eval_run (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    projector_id INTEGER NOT NULL REFERENCES projector(id) ON DELETE CASCADE,
                    dataset_id INTEGER NOT NULL REFERENCES dataset(id) ON DELETE CASCADE,
                    task TEXT NOT NULL,
                    metrics TEXT NOT NULL,
                    seconds REAL NOT NULL,
                    zoo_version TEXT NOT NULL,
                    created_at DATETIME NOT NULL
                );
                CREATE INDEX eval_run_projector ON eval_run(projector_id);
                CREATE INDEX eval_run_dataset ON eval_run(dataset_id);
                CREATE TABLE plugin (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    path TEXT NOT NULL UNIQUE,
                    sha256 TEXT NOT NULL,
                    abi_version INTEGER NOT NULL,
                    created_at DATETIME NOT NULL
                );
                """)
        }
        migrator.registerMigration("v3-plugin-names") { db in
            // A plugin is referred to by its name (`--backend plugin:NAME`); rows from before
            // this migration get a placeholder name that `zoo plugin add --replace` corrects.
            try db.execute(sql: """
                ALTER TABLE plugin ADD COLUMN name TEXT NOT NULL DEFAULT '';
                ALTER TABLE plugin ADD COLUMN modality TEXT NOT NULL DEFAULT 'vision'
                    CHECK (modality IN ('vision', 'text'));
                ALTER TABLE plugin ADD COLUMN summary TEXT NOT NULL DEFAULT '';
                UPDATE plugin SET name = 'plugin-' || id WHERE name = '';
                CREATE UNIQUE INDEX plugin_name ON plugin(name COLLATE NOCASE);
                """)
        }
        migrator.registerMigration("v4-training-results") { db in
            // Training results kept next to each projector (final loss, per-epoch history) and a
            // dataset's item count and item-list digest once a command has read it through.
            try db.execute(sql: """
                ALTER TABLE projector ADD COLUMN final_loss REAL;
                ALTER TABLE projector ADD COLUMN history TEXT NOT NULL DEFAULT '[]';
                ALTER TABLE dataset ADD COLUMN item_count INTEGER;
                ALTER TABLE dataset ADD COLUMN ids_digest TEXT;
                """)
        }
        migrator.registerMigration("v5-cka-runs") { db in
            // `zoo cka` results: encoders over a dataset, or two feature files (paths only).
            try db.execute(sql: """
                CREATE TABLE cka_run (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    vision_encoder_id INTEGER REFERENCES encoder(id) ON DELETE CASCADE,
                    text_encoder_id INTEGER REFERENCES encoder(id) ON DELETE CASCADE,
                    vision_features TEXT,
                    text_features TEXT,
                    dataset_id INTEGER REFERENCES dataset(id) ON DELETE CASCADE,
                    kernel TEXT NOT NULL CHECK (kernel IN ('linear', 'rbf')),
                    samples INTEGER NOT NULL CHECK (samples >= 2),
                    score REAL NOT NULL,
                    bandwidth_vision REAL,
                    bandwidth_text REAL,
                    zoo_version TEXT NOT NULL,
                    created_at DATETIME NOT NULL,
                    CHECK ((vision_encoder_id IS NULL) = (vision_features IS NOT NULL)),
                    CHECK ((text_encoder_id IS NULL) = (text_features IS NOT NULL))
                );
                CREATE INDEX cka_run_vision ON cka_run(vision_encoder_id);
                CREATE INDEX cka_run_text ON cka_run(text_encoder_id);
                CREATE INDEX cka_run_dataset ON cka_run(dataset_id);
                """)
        }
        migrator.registerMigration("v6-eval-details") { db in
            // Per-class results of classification runs (class names, recall, confusion matrix) for reports.
            try db.execute(sql: "ALTER TABLE eval_run ADD COLUMN details TEXT")
        }
        migrator.registerMigration("v7-search-indexes") { db in
            // `zoo index build`: a pair's projected, normalised image embeddings, stored as a
            // checkpoint (vectors + ids); `projector_digest` is the projector checkpoint that
            // made them. Removing the projector removes its indexes.
            try db.execute(sql: """
                CREATE TABLE search_index (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    projector_id INTEGER NOT NULL REFERENCES projector(id) ON DELETE CASCADE,
                    projector_digest TEXT NOT NULL,
                    dataset_id INTEGER REFERENCES dataset(id) ON DELETE SET NULL,
                    source TEXT NOT NULL,
                    count INTEGER NOT NULL CHECK (count >= 0),
                    width INTEGER NOT NULL CHECK (width > 0),
                    dtype TEXT NOT NULL CHECK (dtype IN ('f16', 'f32')),
                    checkpoint_digest TEXT NOT NULL REFERENCES checkpoint(digest),
                    created_at DATETIME NOT NULL
                );
                CREATE INDEX search_index_projector ON search_index(projector_id);
                CREATE INDEX search_index_checkpoint ON search_index(checkpoint_digest);
                """)
        }
        migrator.registerMigration("v8-embedding-caches") { db in
            // `zoo cache merge`: an embedding cache whose shards were all checked and compacted,
            // with the encoder checkpoint and dataset item list it was computed from.
            try db.execute(sql: """
                CREATE TABLE embedding_cache (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    folder TEXT NOT NULL UNIQUE,
                    encoder_id INTEGER NOT NULL REFERENCES encoder(id) ON DELETE CASCADE,
                    dataset_id INTEGER NOT NULL REFERENCES dataset(id) ON DELETE CASCADE,
                    encoder_digest TEXT NOT NULL,
                    ids_digest TEXT NOT NULL,
                    item_count INTEGER NOT NULL CHECK (item_count >= 0),
                    shards INTEGER NOT NULL CHECK (shards >= 1),
                    tokens INTEGER NOT NULL,
                    dtype TEXT NOT NULL CHECK (dtype IN ('f16', 'f32')),
                    merged_at DATETIME NOT NULL
                );
                CREATE INDEX embedding_cache_encoder ON embedding_cache(encoder_id);
                CREATE INDEX embedding_cache_dataset ON embedding_cache(dataset_id);
                """)
        }
        return migrator
    }
}
