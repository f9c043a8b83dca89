package local.tools.mongoserver;

import java.util.List;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.KeyConstraintError;

/**
 * A unique index exactly as mongo-java-server implements it (every call delegated: same duplicate-key checks,
 * same lookups, stored where it stores them), plus a {@link SecondaryIndex} over the same keys for what a hash
 * map cannot do: ranges ({@code {service_id, bucket_start: {$gte}}} on uptime_rollups, keyset pages over
 * {@code service_id}) and sorts.
 *
 * <p>The ordered copy lives in memory. An index created now fills it as it is built; an index opened from an H2
 * file already holds its keys, so its copy starts deferred and the collection fills it ({@link IndexBuilder}).
 */
final class OrderedUniqueIndex<P> extends Index<P> {

    private final Index<P> unique;
    private final SecondaryIndex<P> ordered;

    OrderedUniqueIndex(Index<P> unique, List<IndexKey> keys, boolean sparse) {
        super(unique.getName(), keys, sparse);
        this.unique = unique;
        this.ordered = new SecondaryIndex<>(unique.getName(), keys);
        if (!unique.isEmpty()) {
            ordered.defer(); // opened from a file: the collection fills the copy (IndexBuilder)
        }
    }

    /**
     * Adds the ordered copy to a unique index, except to the _id index: every document has an entry there, and
     * this product neither ranges nor sorts over _id alone (history pages sort by timestamp, then _id, which the
     * timestamp indexes serve), so a copy would cost memory and write time for nothing.
     */
    static <P> Index<P> wrap(Index<P> unique, List<IndexKey> keys, boolean sparse) {
        if (keys.size() == 1 && keys.get(0).getKey().equals("_id")) {
            return unique;
        }
        return new OrderedUniqueIndex<>(unique, keys, sparse);
    }

    Index<P> unique() {
        return unique;
    }

    SecondaryIndex<P> ordered() {
        return ordered;
    }

    boolean isComplete() {
        return ordered.isComplete();
    }

    @Override
    public boolean isUnique() {
        return true;
    }

    @Override
    public P getPosition(Document document) {
        return unique.getPosition(document);
    }

    @Override
    public void checkAdd(Document document, MongoCollection<P> collection) {
        unique.checkAdd(document, collection);
    }

    @Override
    public void add(Document document, P position, MongoCollection<P> collection) {
        unique.add(document, position, collection); // throws on a duplicate before the copy changes
        ordered.add(document, position, collection);
    }

    @Override
    public P remove(Document document) {
        ordered.remove(document);
        return unique.remove(document);
    }

    @Override
    public boolean canHandle(Document query) {
        return unique.canHandle(query);
    }

    @Override
    public Iterable<P> getPositions(Document query) {
        return unique.getPositions(query);
    }

    @Override
    public long getCount() {
        return unique.getCount();
    }

    @Override
    public boolean isEmpty() {
        return unique.isEmpty();
    }

    @Override
    public long getDataSize() {
        return unique.getDataSize();
    }

    @Override
    public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<P> collection) {
        unique.checkUpdate(oldDocument, newDocument, collection);
    }

    @Override
    public void updateInPlace(Document oldDocument, Document newDocument, P position, MongoCollection<P> collection)
        throws KeyConstraintError {
        unique.updateInPlace(oldDocument, newDocument, position, collection);
        ordered.updateInPlace(oldDocument, newDocument, position, collection);
    }

    @Override
    public void drop() {
        ordered.drop();
        unique.drop();
    }
}
