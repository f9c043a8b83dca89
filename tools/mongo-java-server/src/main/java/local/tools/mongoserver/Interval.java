package local.tools.mongoserver;

import java.time.Instant;

import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;

/**
 * A range of index key values, {@code lo..hi}, each end inclusive or not; {@link IndexKeyOrder#LOWEST} and
 * {@link IndexKeyOrder#HIGHEST} stand for "unbounded". A range from a comparison ($gt, $lt...) also names the type
 * its values must have: MongoDB compares only within a type ({@code {$lt: date}} matches no string), while an index
 * orders all types in one line (BSON order), so keys of other types inside the range are skipped, not fetched.
 */
record Interval(Object lo, boolean loInclusive, Object hi, boolean hiInclusive, Class<?> type) {

    static Interval point(Object value) {
        Object key = Missing.isNullOrMissing(value) ? null : value;
        return new Interval(key, true, key, true, null);
    }

    static final Interval ALL = new Interval(IndexKeyOrder.LOWEST, true, IndexKeyOrder.HIGHEST, true, null);

    /**
     * The range of a comparison; a missing end is the lowest or highest value of the type where that is known
     * (numbers, strings, dates), else unbounded (keys of other types are then skipped one by one).
     */
    static Interval range(Object lo, boolean loInclusive, Object hi, boolean hiInclusive) {
        Class<?> type = typeOf(lo != null ? lo : hi);
        if (lo == null) {
            lo = lowestOf(type);
            loInclusive = true;
        }
        if (hi == null) {
            hi = highestOf(type);
            hiInclusive = true;
        }
        return new Interval(lo, loInclusive, hi, hiInclusive, type);
    }

    boolean isPoint() {
        return type == null && lo == hi && lo != IndexKeyOrder.LOWEST;
    }

    /**
     * On a multikey index one document has a key per array element, and {@code {tags: {$gt: a, $lt: b}}} matches a
     * document if one element is above a and another below b: keys between a and b would miss it. So there only one
     * end of a two-sided range is used (as MongoDB does); the matcher applies the other to the documents.
     */
    Interval lowerEndOnly() {
        if (isPoint() || hi == highestOf(type) || hi == IndexKeyOrder.HIGHEST) {
            return this;
        }
        return new Interval(lo, loInclusive, highestOf(type), true, type);
    }

    /** Whether a key inside the range is of the comparison's type (always, for points and full ranges). */
    boolean admits(Object key) {
        return type == null || typeOf(key) == type;
    }

    /** The type class in MongoDB's sense: all numbers are one type. */
    static Class<?> typeOf(Object value) {
        if (value instanceof Number) {
            return Number.class;
        }
        if (value instanceof Document) {
            return Document.class;
        }
        return value == null ? Void.class : value.getClass();
    }

    private static Object lowestOf(Class<?> type) {
        if (type == Number.class) {
            return Double.NEGATIVE_INFINITY;
        } else if (type == String.class) {
            return "";
        } else if (type == Instant.class) {
            return Instant.MIN;
        } else if (type == ObjectId.class) {
            return new ObjectId(new byte[12]);
        }
        return IndexKeyOrder.LOWEST;
    }

    private static Object highestOf(Class<?> type) {
        if (type == Number.class) {
            return Double.POSITIVE_INFINITY;
        } else if (type == Instant.class) {
            return Instant.MAX;
        }
        return IndexKeyOrder.HIGHEST;
    }
}
