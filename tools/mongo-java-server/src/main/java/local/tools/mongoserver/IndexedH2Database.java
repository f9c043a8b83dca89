package local.tools.mongoserver;

import java.lang.reflect.Field;
import java.util.List;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.DatabaseResolver;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.Oplog;
import io.netty.channel.Channel;

/**
 * The H2 database with secondary indexes, indexed queries and {@code explain}. Secondary indexes are kept in
 * memory and rebuilt from the documents when the database opens (see {@link SecondaryIndex}); unique indexes
 * stay mongo-java-server's own, in the file, with lookups through a mirror in memory ({@link MirroredH2UniqueIndex}).
 */
final class IndexedH2Database extends H2Database {

    /** H2Database's map names (package-private there): data and metadata of a collection. */
    private static final String DATA_PREFIX = "databases.";
    private static final String META_PREFIX = "meta.";

    /**
     * H2Database's store. Its constructor opens the existing collections (calling {@link #openOrCreateCollection}
     * back) before any field of this subclass is assigned, so the store cannot be passed down as a field of ours;
     * H2Database's own private field is assigned by then, and read here.
     */
    private static final Field STORE_FIELD;

    static {
        try {
            STORE_FIELD = H2Database.class.getDeclaredField("mvStore");
            STORE_FIELD.setAccessible(true);
        } catch (NoSuchFieldException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The collections opened from the file, set while H2Database's constructor runs (hence no initializer: it
     * would reset the field after that constructor). Null if the file held none.
     */
    private List<IndexedH2Collection> openedFromFile;

    /** False while H2Database's constructor opens what the file holds (a field initializer would run after it). */
    private boolean opened;

    IndexedH2Database(String databaseName, MVStore mvStore, CursorRegistry cursorRegistry) {
        super(databaseName, mvStore, cursorRegistry);
        opened = true;
        if (openedFromFile != null) {
            List<IndexedH2Collection> collections = openedFromFile;
            openedFromFile = null;
            // Queries on a collection wait for its build (they need its lock); everything else goes on.
            Thread builder = new Thread(() -> {
                try {
                    collections.forEach(IndexedH2Collection::completeIndexes);
                } catch (RuntimeException e) {
                    // the server is shutting down (store closed); otherwise the first query retries the build
                    if (!store().isClosed()) {
                        throw e;
                    }
                }
            }, "index-build-" + databaseName);
            builder.setDaemon(true);
            builder.start();
        }
    }

    private MVStore store() {
        try {
            return (MVStore) STORE_FIELD.get(this);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
        String fullName = getFullCollectionNamespace(collectionName);
        MVMap<Object, Document> dataMap = store().openMap(DATA_PREFIX + fullName);
        MVMap<String, Object> metaMap = store().openMap(META_PREFIX + fullName);
        IndexedH2Collection collection = new IndexedH2Collection(this, collectionName, options, dataMap, metaMap, cursorRegistry);
        if (!opened) {
            if (openedFromFile == null) {
                openedFromFile = new java.util.ArrayList<>();
            }
            openedFromFile.add(collection);
        }
        return collection;
    }

    @Override
    protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
        // The map H2Database itself opens (same name: its dropIndex removes it), looked up through a mirror in memory.
        MVMap<KeyValue, Object> stored = store().openMap(getFullCollectionNamespace(collectionName) + "._index_" + indexName);
        return OrderedUniqueIndex.wrap(new MirroredH2UniqueIndex(stored, indexName, keys, sparse), keys, sparse);
    }

    @Override
    protected Index<Object> openOrCreateSecondaryIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
        SecondaryIndex<Object> index = new SecondaryIndex<>(indexName, keys);
        if (!opened) {
            index.defer(); // opened from the file: built with the others in one pass (IndexBuilder)
        }
        return index;
    }

    @Override
    public Document handleCommand(Channel channel, String command, Document query, DatabaseResolver databaseResolver, Oplog oplog) {
        return IndexedCommands.handle(getDatabaseName(), command, query,
            (name, document) -> super.handleCommand(channel, name, document, databaseResolver, oplog));
    }
}
