package local.tools.mongoserver;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.MaxKey;
import de.bwaldvogel.mongo.bson.MinKey;

/**
 * What a filter allows for each field, as index key intervals: equality ({@code v}, {@code $eq}), {@code $in},
 * null (matches null and missing), comparisons ({@code $gt/$gte/$lt/$lte}), found at the top level, inside
 * {@code $and}, and in an {@code $or} whose branches all constrain the same single field (e.g.
 * {@code $or: [{lease_until: null}, {lease_until: {$lt: now}}]}).
 *
 * <p>The bounds only ever over-approximate: every matching document's key lies within them, and the matcher
 * checks each fetched document against the whole filter. Anything not understood here ({@code $ne}, {@code $regex},
 * {@code $elemMatch}, array equality, other {@code $or}s...) simply gives no bounds for that field.
 */
final class QueryBounds {

    private QueryBounds() {
    }

    /** Field path to the intervals (a union) its values must lie in. */
    static Map<String, List<Interval>> of(Document query) {
        Map<String, List<Interval>> bounds = new LinkedHashMap<>();
        collect(query, bounds);
        return bounds;
    }

    private static void collect(Document query, Map<String, List<Interval>> bounds) {
        for (Map.Entry<String, Object> condition : query.entrySet()) {
            String key = condition.getKey();
            Object value = condition.getValue();
            if (key.equals("$and") && value instanceof List<?> clauses) {
                for (Object clause : clauses) {
                    if (clause instanceof Document document) {
                        collect(document, bounds);
                    }
                }
            } else if (key.equals("$or") && value instanceof List<?> branches) {
                collectSingleFieldOr(branches, bounds);
            } else if (!key.startsWith("$")) {
                List<Interval> intervals = ofCondition(value);
                if (intervals != null) {
                    bounds.putIfAbsent(key, intervals); // a field constrained twice: either constraint is a superset
                }
            }
        }
    }

    private static void collectSingleFieldOr(List<?> branches, Map<String, List<Interval>> bounds) {
        String field = null;
        List<Interval> union = new ArrayList<>();
        for (Object branch : branches) {
            if (!(branch instanceof Document document) || document.size() != 1) {
                return;
            }
            String key = document.keySet().iterator().next();
            if (key.startsWith("$") || (field != null && !field.equals(key))) {
                return;
            }
            field = key;
            List<Interval> intervals = ofCondition(document.get(key));
            if (intervals == null) {
                return;
            }
            union.addAll(intervals);
        }
        if (field != null) {
            bounds.putIfAbsent(field, union);
        }
    }

    /** The intervals of one field's condition, or null if it cannot be expressed as such. */
    private static List<Interval> ofCondition(Object condition) {
        if (condition instanceof Document operators && !operators.isEmpty()
            && operators.keySet().iterator().next().startsWith("$")) {
            return ofOperators(operators);
        }
        Interval point = pointOf(condition);
        return point == null ? null : List.of(point);
    }

    private static List<Interval> ofOperators(Document operators) {
        if (operators.containsKey("$eq")) {
            Interval point = pointOf(operators.get("$eq"));
            return point == null ? null : List.of(point);
        }
        if (operators.get("$in") instanceof Collection<?> values) {
            List<Interval> points = new ArrayList<>();
            for (Object value : values) {
                Interval point = pointOf(value);
                if (point == null) {
                    return null;
                }
                points.add(point);
            }
            return points;
        }
        Object lo = null;
        Object hi = null;
        boolean loInclusive = false;
        boolean hiInclusive = false;
        for (Map.Entry<String, Object> operator : operators.entrySet()) {
            Object bound = operator.getValue();
            switch (operator.getKey()) {
                case "$gt", "$gte" -> {
                    if (!isRangeBound(bound)) {
                        return null;
                    }
                    lo = bound;
                    loInclusive = operator.getKey().equals("$gte");
                }
                case "$lt", "$lte" -> {
                    if (!isRangeBound(bound)) {
                        return null;
                    }
                    hi = bound;
                    hiInclusive = operator.getKey().equals("$lte");
                }
                default -> {
                    // other operators ($ne, $exists...) are left to the matcher
                }
            }
        }
        if (lo == null && hi == null) {
            return null;
        }
        if (lo != null && hi != null && Interval.typeOf(lo) != Interval.typeOf(hi)) {
            hi = null; // matches nothing in MongoDB; one end is still a correct superset
        }
        return List.of(Interval.range(lo, loInclusive, hi, hiInclusive));
    }

    /**
     * Equality with a value an index key can be compared to: not an array (it would match the whole array too, not
     * only an element), not a document (equality of documents is the matcher's business), not a regex or MinKey/MaxKey.
     */
    private static Interval pointOf(Object value) {
        if (value instanceof Collection || value instanceof Document || value instanceof BsonRegularExpression
            || value instanceof MinKey
            || value instanceof MaxKey || value instanceof java.util.regex.Pattern) {
            return null;
        }
        return Interval.point(value);
    }

    /** Ranges are built for scalar bounds only; null, arrays, documents and regexes have their own semantics. */
    private static boolean isRangeBound(Object value) {
        return !Missing.isNullOrMissing(value) && !(value instanceof Collection) && !(value instanceof Document)
            && !(value instanceof BsonRegularExpression) && !(value instanceof MinKey) && !(value instanceof MaxKey);
    }
}
