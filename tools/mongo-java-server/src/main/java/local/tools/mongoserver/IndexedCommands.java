package local.tools.mongoserver;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;

import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;

/**
 * Database commands the indexed databases add or change: {@code explain} (mongo-java-server has none), and
 * {@code aggregate} with a leading {@code $match} read through the query planner ({@link AggregatePushdown}).
 */
final class IndexedCommands {

    private IndexedCommands() {
    }

    /**
     * @param run the database's own command handling
     */
    static Document handle(String database, String command, Document query, BiFunction<String, Document, Document> run) {
        String name = command.toLowerCase(Locale.ROOT);
        if (name.equals("explain") && query.get(command) instanceof Document explained) {
            return explain(database, explained, run);
        }
        if (name.equals("aggregate")) {
            if (Utils.isTrue(query.get("explain"))) {
                Document explained = query.clone();
                explained.remove("explain");
                return explain(database, explained, run);
            }
            if (query.get("pipeline") instanceof List<?> pipeline) {
                String namespace = database + "." + query.get(command);
                if (isCountOfAll(pipeline)) {
                    return countOfAll(namespace, query.get(command), run);
                }
                return AggregatePushdown.run(namespace, pipeline, () -> run.apply(command, query));
            }
        }
        return run.apply(command, query);
    }

    /** The pipeline the drivers send for {@code countDocuments({})}: {@code [{$match: {}}, {$group: {_id: 1, n: {$sum: 1}}}]}. */
    private static boolean isCountOfAll(List<?> pipeline) {
        return pipeline.size() == 2
            && pipeline.get(0) instanceof Document first && first.size() == 1
            && first.get("$match") instanceof Document match && match.isEmpty()
            && new Document("$group", new Document("_id", 1).append("n", new Document("$sum", 1))).equals(pipeline.get(1));
    }

    /**
     * {@code countDocuments({})} answered from the collection's own count, as the {@code count} command does,
     * instead of reading every document through the aggregation (on H2, deserializing each). Same answer: one
     * {@code {_id: 1, n}} document, none for an empty collection.
     */
    private static Document countOfAll(String namespace, Object collection, BiFunction<String, Document, Document> run) {
        long n = ((Number) run.apply("count", new Document("count", collection)).get("n")).longValue();
        Object count = n <= Integer.MAX_VALUE ? (Object) (int) n : (Object) n;
        List<Document> batch = n == 0 ? List.of() : List.of(new Document("_id", 1).append("n", count));
        return new Document("cursor", new Document("firstBatch", batch).append("id", 0L).append("ns", namespace)).append("ok", 1.0);
    }

    /**
     * Runs the explained command's query part and reports, like MongoDB's {@code executionStats}, how many
     * documents and index keys it examined and how many it returned. Writes are not performed: for update, delete
     * and findAndModify the documents their filters select are counted.
     */
    private static Document explain(String database, Document explained, BiFunction<String, Document, Document> run) {
        String command = explained.keySet().iterator().next();
        String collection = String.valueOf(explained.get(command));
        QueryStats.Capture capture = QueryStats.startCapture();
        long started = System.nanoTime();
        long returned = 0;
        try {
            switch (command.toLowerCase(Locale.ROOT)) {
                case "find" -> {
                    Document find = explained.clone();
                    find.remove("batchSize");
                    returned = batchSize(run.apply("find", find));
                }
                case "count" -> returned = ((Number) run.apply("count", explained).get("n")).longValue();
                case "distinct" -> returned = ((Collection<?>) run.apply("distinct", explained).get("values")).size();
                case "aggregate" -> {
                    Document aggregate = explained.clone();
                    aggregate.put("cursor", new Document());
                    returned = batchSize(handle(database, "aggregate", aggregate, run));
                }
                case "update" -> {
                    for (Object update : (List<?>) explained.get("updates")) {
                        Document u = (Document) update;
                        returned += find(run, collection, (Document) u.get("q"), null, Utils.isTrue(u.get("multi")) ? 0 : 1);
                    }
                }
                case "delete" -> {
                    for (Object delete : (List<?>) explained.get("deletes")) {
                        Document d = (Document) delete;
                        returned += find(run, collection, (Document) d.get("q"), null, ((Number) d.getOrDefault("limit", 0)).intValue());
                    }
                }
                case "findandmodify" -> returned = find(run, collection, (Document) explained.getOrDefault("query", new Document()),
                    (Document) explained.get("sort"), 1);
                default -> throw new MongoServerError(72, "InvalidOptions", "explain of " + command + " is not supported here");
            }
        } finally {
            QueryStats.stopCapture();
        }
        long millis = (System.nanoTime() - started) / 1_000_000;

        Document winningPlan;
        if (capture.plans.isEmpty()) {
            winningPlan = new Document("stage", "EOF");
        } else if (capture.plans.get(0).startsWith("IXSCAN ")) {
            winningPlan = new Document("stage", "FETCH").append("inputStage",
                new Document("stage", "IXSCAN").append("indexName", capture.plans.get(0).substring("IXSCAN ".length())));
        } else if (capture.plans.get(0).startsWith("SORT_MERGE IXSCAN ")) {
            // As MongoDB shows an "explode for sort": one index scan per combination of leading values, merged.
            Document scan = new Document("stage", "IXSCAN").append("indexName", capture.plans.get(0).substring("SORT_MERGE IXSCAN ".length()));
            winningPlan = new Document("stage", "FETCH").append("inputStage",
                new Document("stage", "SORT_MERGE").append("inputStages", java.util.List.of(scan)));
        } else {
            winningPlan = new Document("stage", capture.plans.get(0));
        }
        Document response = new Document("queryPlanner", new Document("namespace", database + "." + collection)
            .append("winningPlan", winningPlan)
            .append("plansUsed", new ArrayList<>(capture.plans)));
        response.put("executionStats", new Document("executionSuccess", true)
            .append("nReturned", returned)
            .append("executionTimeMillis", millis)
            .append("totalKeysExamined", capture.keys)
            .append("totalDocsExamined", capture.docs));
        Utils.markOkay(response);
        return response;
    }

    private static long find(BiFunction<String, Document, Document> run, String collection, Document filter, Document sort, int limit) {
        Document find = new Document("find", collection).append("filter", filter == null ? new Document() : filter);
        if (sort != null) {
            find.put("sort", sort);
        }
        if (limit > 0) {
            find.put("limit", limit);
        }
        return batchSize(run.apply("find", find));
    }

    private static long batchSize(Document cursorResponse) {
        Document cursor = (Document) cursorResponse.get("cursor");
        return ((Collection<?>) cursor.get("firstBatch")).size();
    }
}
