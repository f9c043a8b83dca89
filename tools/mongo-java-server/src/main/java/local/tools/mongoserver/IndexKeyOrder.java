package local.tools.mongoserver;

import java.util.Comparator;
import java.util.List;

import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.ValueComparator;

/**
 * The order of a secondary index's entries. An entry is {@code [value of field 1, ..., value of field n, _id]}:
 * field values compare in BSON order (mongo-java-server's ValueComparator, the order its sort uses), each field in
 * the index's direction, and the _id (ascending) makes every entry unique, so one document's entry can be found
 * and removed among many with the same key. {@link #LOWEST} and {@link #HIGHEST} sort before and after every value
 * in either direction; scan bounds use them for "any value" in the fields after the constrained ones.
 */
final class IndexKeyOrder implements Comparator<Object[]> {

    static final Object LOWEST = new Sentinel("LOWEST");
    static final Object HIGHEST = new Sentinel("HIGHEST");

    private record Sentinel(String name) {
        @Override
        public String toString() {
            return name;
        }
    }

    private final boolean[] ascending;

    IndexKeyOrder(List<IndexKey> keys) {
        ascending = new boolean[keys.size()];
        for (int i = 0; i < ascending.length; i++) {
            ascending[i] = keys.get(i).isAscending();
        }
    }

    @Override
    public int compare(Object[] a, Object[] b) {
        for (int i = 0; i < a.length; i++) {
            Object x = a[i];
            Object y = b[i];
            if (x == y) {
                continue;
            }
            if (x == LOWEST || y == HIGHEST) {
                return -1;
            }
            if (x == HIGHEST || y == LOWEST) {
                return 1;
            }
            int c = ValueComparator.asc().compare(x, y);
            if (c != 0) {
                return i < ascending.length && !ascending[i] ? -c : c;
            }
        }
        return 0;
    }
}
