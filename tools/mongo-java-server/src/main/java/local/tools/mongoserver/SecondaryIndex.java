package local.tools.mongoserver;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.bson.Document;

/**
 * A non-unique (possibly compound, possibly multikey) index: an ordered map from entries
 * ({@link IndexKeyOrder}) to document positions. mongo-java-server 1.47 has only unique indexes and ignores all
 * others ({@code EmptyIndex}); this one is kept through every write by the collection's index hooks (add, remove,
 * updateInPlace; upserts and TTL sweeps arrive as these) and read by {@link QueryPlanner}.
 *
 * <p>Every document has at least one entry, a missing field indexed as null (as MongoDB does), so a scan of the
 * whole index sees every document. An array field gives one entry per element (an empty array one entry holding
 * the empty array); from the first array on the index is "multikey" and is no longer used for sorting.
 *
 * <p>It lives in memory on both backends: on H2 it is rebuilt from the documents when the database opens
 * ({@link #defer()}), so it can never disagree with the data after a crash.
 *
 * <p>It never answers {@code canHandle}: mongo-java-server's own query path takes the first index that does, in
 * creation order; the planner instead compares all of them.
 */
final class SecondaryIndex<P> extends Index<P> {

    private static final String ID_FIELD = "_id";

    private final IndexKeyOrder order;
    private final ConcurrentSkipListMap<Object[], P> entries;
    private volatile boolean multikey;
    private volatile boolean complete = true;

    SecondaryIndex(String name, List<IndexKey> keys) {
        // Every document is indexed, also for a sparse index (the matcher re-checks each candidate). "sparse" to
        // the collection means "may not know a document": it then takes positions from the _id index alone, as it
        // did for the EmptyIndex this replaces.
        super(name, keys, true);
        order = new IndexKeyOrder(keys);
        entries = new ConcurrentSkipListMap<>(order);
    }

    int fieldCount() {
        return getKeys().size();
    }

    String field(int i) {
        return getKeys().get(i).getKey();
    }

    boolean ascending(int i) {
        return getKeys().get(i).isAscending();
    }

    boolean isMultikey() {
        return multikey;
    }

    /**
     * Marks the index as not holding every document yet: opened from an H2 file, where mongo-java-server would
     * build each index in two passes over all documents (the stock server did so even for the indexes it then
     * ignored: 10 passes for 5 indexes), the collection builds all of them later in one pass
     * ({@link IndexBuilder}). Meanwhile it reports itself non-empty (so the stock build is skipped), is kept
     * through writes as usual, and the planner does not use it.
     */
    void defer() {
        complete = false;
    }

    boolean isComplete() {
        return complete;
    }

    /** Starts a rebuild from all documents ({@link IndexBuilder}, under the collection's lock): no entries. */
    void clearForRebuild() {
        entries.clear();
    }

    /** Ends a rebuild: every document has been {@link #add added}. */
    void markComplete() {
        complete = true;
    }

    IndexKeyOrder order() {
        return order;
    }

    /** The entries of a document: the product of its values per field (one per array element). */
    private Set<List<Object>> entriesOf(Document document) {
        List<List<Object>> valuesPerField = new ArrayList<>();
        for (IndexKey key : getKeys()) {
            Object value = Utils.getSubdocumentValueCollectionAware(document, key.getKey());
            List<Object> values = new ArrayList<>();
            if (value instanceof Collection<?> collection && !collection.isEmpty()) {
                multikey = true;
                for (Object element : new LinkedHashSet<>(collection)) {
                    values.add(keyValue(element));
                }
            } else {
                if (value instanceof Collection<?>) {
                    multikey = true;
                }
                values.add(keyValue(value));
            }
            valuesPerField.add(values);
        }
        Set<List<Object>> product = new LinkedHashSet<>();
        product.add(new ArrayList<>());
        for (List<Object> values : valuesPerField) {
            Set<List<Object>> next = new LinkedHashSet<>();
            for (List<Object> prefix : product) {
                for (Object value : values) {
                    List<Object> entry = new ArrayList<>(prefix);
                    entry.add(value);
                    next.add(entry);
                }
            }
            product = next;
        }
        Object id = document.get(ID_FIELD);
        Set<List<Object>> result = new HashSet<>();
        for (List<Object> entry : product) {
            entry.add(id);
            result.add(entry);
        }
        return result;
    }

    /**
     * A key is a copy: documents are updated in place (e.g. $push appends to the stored array), and a key that
     * changed inside the map would break its order and could no longer be found to be removed.
     */
    private static Object keyValue(Object value) {
        if (Missing.isNullOrMissing(value)) {
            return null;
        } else if (value instanceof Document document) {
            return document.cloneDeeply();
        } else if (value instanceof Collection<?> collection) {
            List<Object> copy = new ArrayList<>();
            collection.forEach(element -> copy.add(keyValue(element)));
            return copy;
        }
        return value;
    }

    @Override
    public void add(Document document, P position, MongoCollection<P> collection) {
        for (List<Object> entry : entriesOf(document)) {
            entries.put(entry.toArray(), position);
        }
    }

    @Override
    public P remove(Document document) {
        P position = null;
        for (List<Object> entry : entriesOf(document)) {
            P removed = entries.remove(entry.toArray());
            if (removed != null) {
                position = removed;
            }
        }
        return position;
    }

    @Override
    public void updateInPlace(Document oldDocument, Document newDocument, P position, MongoCollection<P> collection) {
        Set<List<Object>> before = entriesOf(oldDocument);
        Set<List<Object>> after = entriesOf(newDocument);
        for (List<Object> entry : before) {
            if (!after.contains(entry)) {
                entries.remove(entry.toArray());
            }
        }
        for (List<Object> entry : after) {
            if (!before.contains(entry)) {
                entries.put(entry.toArray(), position);
            }
        }
    }

    /**
     * The positions of the entries within the given scan ranges (each {@code [from, to]} in index order), in index
     * order or its reverse, each position once; in the last constrained field only keys its intervals admit (see
     * {@link Interval#admits}). Lazy, one entry at a time, so that a query with a limit stops early (a flatMap over
     * the ranges would not: Stream.iterator() buffers each inner stream whole).
     */
    Stream<P> scan(List<Object[][]> ranges, boolean reverse, List<Interval> lastFieldIntervals, int lastField) {
        return distinctPositions(entriesIn(ranges, reverse), lastFieldIntervals, lastField);
    }

    /**
     * Like {@link #scan}, for leading fields given several values ({@code $in}, or {@code null} and a range): each
     * group of ranges (one combination of those values) is read in index order, and the groups are merged by
     * {@code sortOrder}, MongoDB's "explode for sort" (SORT_MERGE). Each group is ordered by the sort already, so a
     * query with a limit still stops after about that many entries.
     */
    Stream<P> mergedScan(List<List<Object[][]>> groups, boolean reverse, List<Interval> lastFieldIntervals, int lastField,
                         Comparator<Object[]> sortOrder) {
        PriorityQueue<PeekingEntries> heads = new PriorityQueue<>((a, b) -> sortOrder.compare(a.peek().getKey(), b.peek().getKey()));
        List<PeekingEntries> pending = new ArrayList<>();
        for (List<Object[][]> group : groups) {
            pending.add(new PeekingEntries(entriesIn(group, reverse)));
        }
        Iterator<Map.Entry<Object[], P>> merged = new Iterator<>() {
            private boolean started;

            @Override
            public boolean hasNext() {
                if (!started) {
                    started = true; // the first entry of each group is read only when the first entry is asked for
                    pending.stream().filter(PeekingEntries::hasNext).forEach(heads::add);
                }
                return !heads.isEmpty();
            }

            @Override
            public Map.Entry<Object[], P> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                PeekingEntries head = heads.poll();
                Map.Entry<Object[], P> entry = head.next();
                if (head.hasNext()) {
                    heads.add(head);
                }
                return entry;
            }
        };
        return distinctPositions(merged, lastFieldIntervals, lastField);
    }

    /** The entries of the ranges, one range after the other, each in index order or its reverse; counted as examined. */
    private Iterator<Map.Entry<Object[], P>> entriesIn(List<Object[][]> ranges, boolean reverse) {
        Iterator<Object[][]> rangeIterator = ranges.iterator();
        return new Iterator<>() {
            private Iterator<Map.Entry<Object[], P>> current = Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext()) {
                    if (!rangeIterator.hasNext()) {
                        return false;
                    }
                    Object[][] range = rangeIterator.next();
                    if (order.compare(range[0], range[1]) <= 0) {
                        NavigableMap<Object[], P> part = entries.subMap(range[0], true, range[1], true);
                        current = (reverse ? part.descendingMap() : part).entrySet().iterator();
                    }
                }
                return true;
            }

            @Override
            public Map.Entry<Object[], P> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                QueryStats.keyExamined();
                return current.next();
            }
        };
    }

    /** The positions of the entries whose last constrained field an interval admits, each position once. */
    private Stream<P> distinctPositions(Iterator<Map.Entry<Object[], P>> entryIterator, List<Interval> lastFieldIntervals, int lastField) {
        Set<P> seen = new HashSet<>();
        Iterator<P> positions = new Iterator<>() {
            private P next;

            @Override
            public boolean hasNext() {
                while (next == null) {
                    if (!entryIterator.hasNext()) {
                        return false;
                    }
                    Map.Entry<Object[], P> entry = entryIterator.next();
                    if (lastField >= 0) {
                        Object key = entry.getKey()[lastField];
                        if (lastFieldIntervals.stream().noneMatch(interval -> interval.admits(key))) {
                            continue;
                        }
                    }
                    if (seen.add(entry.getValue())) {
                        next = entry.getValue();
                    }
                }
                return true;
            }

            @Override
            public P next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                P result = next;
                next = null;
                return result;
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(positions, Spliterator.ORDERED), false);
    }

    /** An iterator of entries whose next entry can be looked at without taking it (a head of the merge). */
    private final class PeekingEntries implements Iterator<Map.Entry<Object[], P>> {
        private final Iterator<Map.Entry<Object[], P>> entries;
        private Map.Entry<Object[], P> head;

        PeekingEntries(Iterator<Map.Entry<Object[], P>> entries) {
            this.entries = entries;
        }

        Map.Entry<Object[], P> peek() {
            if (head == null) {
                head = entries.next();
            }
            return head;
        }

        @Override
        public boolean hasNext() {
            return head != null || entries.hasNext();
        }

        @Override
        public Map.Entry<Object[], P> next() {
            Map.Entry<Object[], P> entry = peek();
            head = null;
            return entry;
        }
    }

    /** How many entries the ranges hold, counting no further than {@code cap}: the planner's cost estimate. */
    long countEntries(List<Object[][]> ranges, long cap) {
        long count = 0;
        for (Object[][] range : ranges) {
            if (order.compare(range[0], range[1]) > 0) {
                continue;
            }
            for (Iterator<Object[]> it = entries.subMap(range[0], true, range[1], true).keySet().iterator(); it.hasNext(); it.next()) {
                if (++count >= cap) {
                    return count;
                }
            }
        }
        return count;
    }

    @Override
    public P getPosition(Document document) {
        return null; // positions come from the unique _id index
    }

    @Override
    public void checkAdd(Document document, MongoCollection<P> collection) {
        // not unique: nothing to check
    }

    @Override
    public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<P> collection) {
        // not unique: nothing to check
    }

    @Override
    public boolean canHandle(Document query) {
        return false;
    }

    @Override
    public Iterable<P> getPositions(Document query) {
        throw new UnsupportedOperationException("queried through QueryPlanner");
    }

    @Override
    public long getCount() {
        return entries.size();
    }

    @Override
    public boolean isEmpty() {
        return complete && entries.isEmpty();
    }

    @Override
    public long getDataSize() {
        return getCount();
    }

    @Override
    public void drop() {
        entries.clear();
    }
}
