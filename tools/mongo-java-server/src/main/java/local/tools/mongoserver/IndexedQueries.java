package local.tools.mongoserver;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

import de.bwaldvogel.mongo.backend.DocumentComparator;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.bson.Document;

/**
 * Runs a query the way the {@link QueryPlanner} chose, for both collection classes (memory and H2), which hand in
 * their protected operations as an {@link Access}.
 */
final class IndexedQueries {

    /** What a collection lends the query: mongo-java-server's protected collection operations. */
    interface Access<P> {
        List<Index<P>> indexes();

        Document document(P position);

        boolean matches(Document document, Document query);

        int size();

        /** The collection's own query: a scan of every document. */
        QueryResult scan(Document query, Document orderBy, int skip, int limit, int batchSize, Document projection);

        /** Sorts (when an order is given), skips, limits, projects and batches documents that already match. */
        QueryResult finish(Stream<Document> documents, int skip, int limit, int batchSize, Comparator<Document> order,
                           Document projection);
    }

    private IndexedQueries() {
    }

    static <P> QueryResult query(Access<P> collection, Document query, Document orderBy, int skip, int limit,
                                 int batchSize, Document projection) {
        boolean natural = orderBy != null && orderBy.containsKey("$natural");
        QueryPlanner.Plan<P> plan = natural ? null : QueryPlanner.plan(collection.indexes(), query, orderBy, limit > 0);
        if (plan == null) {
            QueryStats.plan("COLLSCAN");
            QueryStats.docsExamined(collection.size());
            return collection.scan(query, orderBy, skip, limit, batchSize, projection);
        }
        QueryStats.plan(plan.name());

        boolean sorted = orderBy != null && !orderBy.isEmpty();
        Stream<P> positions = plan.positions();
        if (!sorted) {
            // Without a sort MongoDB promises no order; the scan this replaces returned documents in their natural
            // (storage) order, and code or tests may have come to rely on that, so keep it.
            positions = positions.sorted(naturalOrder());
        }
        Stream<Document> documents = positions
            .map(position -> {
                QueryStats.docsExamined(1);
                return collection.document(position);
            })
            .filter(Objects::nonNull)
            .filter(document -> collection.matches(document, query));
        if (sorted && plan.sortedPrefix() > 0 && limit > 0) {
            documents = firstWithTies(documents, skip + limit, prefixOrder(orderBy, plan.sortedPrefix())).stream();
        }
        return collection.finish(documents, skip, limit, batchSize, sorted ? new DocumentComparator(orderBy) : null, projection);
    }

    /**
     * The first {@code n} documents of a stream ordered by {@code order}, plus those tied with the n-th: the final
     * sort (by all sort fields) then picks among them. Reads one document past them, to see the tie end.
     */
    private static List<Document> firstWithTies(Stream<Document> documents, int n, Comparator<Document> order) {
        List<Document> first = new ArrayList<>();
        Iterator<Document> iterator = documents.iterator();
        while (iterator.hasNext()) {
            Document document = iterator.next();
            if (first.size() >= n && order.compare(first.get(first.size() - 1), document) != 0) {
                break;
            }
            first.add(document);
        }
        return first;
    }

    private static Comparator<Document> prefixOrder(Document orderBy, int fields) {
        Document prefix = new Document();
        for (Map.Entry<String, Object> sort : orderBy.entrySet()) {
            if (prefix.size() == fields) {
                break;
            }
            prefix.put(sort.getKey(), sort.getValue());
        }
        return new DocumentComparator(prefix);
    }

    /** Memory positions are list slots (the scan's order); H2 positions are _id values, scanned in key order. */
    @SuppressWarnings("unchecked")
    private static <P> Comparator<P> naturalOrder() {
        return (a, b) -> a instanceof Integer x && b instanceof Integer y ? Integer.compare(x, y)
            : ValueComparator.asc().compare(a, b);
    }
}
