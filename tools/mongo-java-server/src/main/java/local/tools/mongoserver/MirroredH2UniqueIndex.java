package local.tools.mongoserver;

import java.util.List;
import java.util.Map;
import java.util.Map.Entry;
import java.util.concurrent.ConcurrentHashMap;

import org.h2.mvstore.MVMap;

import de.bwaldvogel.mongo.backend.AbstractUniqueIndex;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;

/**
 * mongo-java-server's H2 unique index (same map, same name, same stored entries: a file stays readable by either),
 * with its lookups answered from a hash map in memory.
 *
 * <p>Why: the H2 map orders its {@code KeyValue} keys with H2's generic object type, which compares objects that
 * are not {@code Comparable} by Java-serializing both sides, at every step of every binary search. On a soak of
 * 5,000 services that was most of what the database process allocated (~400 MB/s, a young-generation pause every
 * 2 s) and a lookup by {@code _id} cost microseconds of serialization. A hash lookup needs only
 * {@code equals}/{@code hashCode}, as mongo-java-server's memory backend does. Writes still go to the file.
 *
 * <p>The mirror of an index opened from a file with entries is filled later, in the collection's one pass that
 * builds its deferred indexes ({@link IndexBuilder}), under the collection's lock (every write holds it too);
 * until then lookups go to the file as before.
 */
final class MirroredH2UniqueIndex extends AbstractUniqueIndex<Object> {

    private final MVMap<KeyValue, Object> stored;
    private volatile Map<KeyValue, Object> mirror;

    MirroredH2UniqueIndex(MVMap<KeyValue, Object> stored, String name, List<IndexKey> keys, boolean sparse) {
        super(name, keys, sparse);
        this.stored = stored;
        this.mirror = stored.isEmpty() ? new ConcurrentHashMap<>() : null;
    }

    boolean isMirrored() {
        return mirror != null;
    }

    /** Reads every stored entry once; the caller holds the collection's lock, so no write runs meanwhile. */
    void fillMirror() {
        if (mirror != null) {
            return;
        }
        Map<KeyValue, Object> filled = new ConcurrentHashMap<>(Math.max(16, (int) Math.min(Integer.MAX_VALUE / 2, stored.sizeAsLong() * 4 / 3 + 1)));
        for (Entry<KeyValue, Object> entry : stored.entrySet()) {
            filled.put(entry.getKey(), entry.getValue());
        }
        mirror = filled;
    }

    @Override
    protected Object removeDocument(KeyValue keyValue) {
        Map<KeyValue, Object> current = mirror;
        if (current != null) {
            current.remove(keyValue);
        }
        return stored.remove(keyValue);
    }

    @Override
    protected boolean putKeyPosition(KeyValue keyValue, Object position) {
        Map<KeyValue, Object> current = mirror;
        if (current != null && current.containsKey(keyValue)) {
            return false;
        }
        Object value = Missing.ofNullable(position);
        boolean added = stored.putIfAbsent(keyValue, value) == null;
        if (added && current != null) {
            current.put(keyValue, value);
        }
        return added;
    }

    @Override
    protected Iterable<Entry<KeyValue, Object>> getIterable() {
        return stored.entrySet();
    }

    @Override
    protected Object getPosition(KeyValue keyValue) {
        Map<KeyValue, Object> current = mirror;
        return current != null ? current.get(keyValue) : stored.get(keyValue);
    }

    @Override
    public long getCount() {
        return stored.sizeAsLong();
    }

    @Override
    public boolean isEmpty() {
        return stored.isEmpty();
    }

    @Override
    public long getDataSize() {
        return getCount();
    }

    @Override
    public void drop() {
        Map<KeyValue, Object> current = mirror;
        if (current != null) {
            current.clear();
        }
        super.drop();
    }
}
