package local.tools.mongoserver;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

import de.bwaldvogel.mongo.backend.DocumentWithPosition;
import de.bwaldvogel.mongo.backend.Index;

/**
 * Builds a collection's deferred indexes ({@link SecondaryIndex#defer()}) in one pass over its documents: on H2
 * reading a document means deserializing it, and one pass instead of two per index is most of a restart's time.
 * The in-memory mirrors of its H2 unique indexes ({@link MirroredH2UniqueIndex}) are filled first, from their maps.
 */
final class IndexBuilder {

    private IndexBuilder() {
    }

    /** The caller holds the collection's lock. */
    static <P> void completeDeferred(List<Index<P>> indexes, Supplier<Stream<DocumentWithPosition<P>>> documents) {
        for (Index<P> index : indexes) {
            MirroredH2UniqueIndex mirrored = mirrored(index);
            if (mirrored != null) {
                mirrored.fillMirror();
            }
        }
        List<SecondaryIndex<P>> deferred = new ArrayList<>();
        for (Index<P> index : indexes) {
            if (index instanceof SecondaryIndex<P> secondary && !secondary.isComplete()) {
                deferred.add(secondary);
            } else if (index instanceof OrderedUniqueIndex<P> unique && !unique.isComplete()) {
                deferred.add(unique.ordered());
            }
        }
        if (deferred.isEmpty()) {
            return;
        }
        deferred.forEach(SecondaryIndex::clearForRebuild);
        documents.get().forEach(document -> {
            for (SecondaryIndex<P> index : deferred) {
                index.add(document.getDocument(), document.getPosition(), null);
            }
        });
        deferred.forEach(SecondaryIndex::markComplete);
    }

    static <P> boolean hasDeferred(List<Index<P>> indexes) {
        return indexes.stream().anyMatch(index -> index instanceof SecondaryIndex<P> s && !s.isComplete()
            || index instanceof OrderedUniqueIndex<P> u && !u.isComplete()
            || mirrored(index) != null && !mirrored(index).isMirrored());
    }

    /** The H2 unique index inside {@code index} (bare, as {@code _id}'s, or under its ordered copy), or null. */
    private static MirroredH2UniqueIndex mirrored(Index<?> index) {
        Index<?> unique = index instanceof OrderedUniqueIndex<?> ordered ? ordered.unique() : index;
        return unique instanceof MirroredH2UniqueIndex mirrored ? mirrored : null;
    }
}
