package local.tools.mongoserver;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.h2.mvstore.MVMap;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.bson.Document;

/** The H2 collection, with queries through {@link IndexedQueries} (see {@link SecondaryIndex}). */
final class IndexedH2Collection extends H2Collection {

    private final IndexedQueries.Access<Object> access = new IndexedQueries.Access<>() {
        @Override
        public List<Index<Object>> indexes() {
            return getIndexes();
        }

        @Override
        public Document document(Object position) {
            return getDocument(position);
        }

        @Override
        public boolean matches(Document document, Document query) {
            return documentMatchesQuery(document, query);
        }

        @Override
        public int size() {
            return count();
        }

        @Override
        public QueryResult scan(Document query, Document orderBy, int skip, int limit, int batchSize, Document projection) {
            return IndexedH2Collection.super.queryDocuments(query, orderBy, skip, limit, batchSize, projection);
        }

        @Override
        public QueryResult finish(Stream<Document> documents, int skip, int limit, int batchSize,
                                  Comparator<Document> order, Document projection) {
            return matchDocumentsFromStream(new Document(), documents, skip, limit, batchSize, order, projection);
        }
    };

    IndexedH2Collection(MongoDatabase database, String collectionName, CollectionOptions options,
                        MVMap<Object, Document> dataMap, MVMap<String, Object> metaMap, CursorRegistry cursorRegistry) {
        super(database, collectionName, options, dataMap, metaMap, cursorRegistry);
    }

    @Override
    protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit, int batchSize,
                                         Document fieldSelector) {
        completeIndexes();
        return IndexedQueries.query(access, query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
    }

    /**
     * Builds the indexes opened from a file (H2) in one pass over the documents, once: called by the database
     * right after opening (in the background) and, should a query come first, by the query.
     */
    void completeIndexes() {
        if (IndexBuilder.hasDeferred(getIndexes())) {
            synchronized (this) {
                IndexBuilder.completeDeferred(getIndexes(), this::streamAllDocumentsWithPosition);
            }
        }
    }

    @Override
    public Stream<Document> queryAllAsStream() {
        return AggregatePushdown.documents(this, super::queryAllAsStream);
    }
}
