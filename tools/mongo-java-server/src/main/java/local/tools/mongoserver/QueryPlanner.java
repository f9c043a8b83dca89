package local.tools.mongoserver;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.bson.Document;

/**
 * Chooses how to find a query's documents: through a unique index (all its fields given by equality), through a
 * {@link SecondaryIndex} or the ordered copy of a unique one ({@link OrderedUniqueIndex}): the longest run of
 * leading index fields given by equality, then one range, and/or the order of the sort; or not at all (the
 * caller scans the collection).
 *
 * <p>Score of a secondary index: 2 per leading field fixed by equality/$in, 1 for a range on the field after them,
 * 1 more if the index delivers the documents in the order of the first sort field(s). Every index with a score is
 * a candidate (one that only delivers the sort order only when the query has a limit: then it saves reading
 * everything); the one with the fewest index entries in its ranges wins (see {@link #plan}).
 */
final class QueryPlanner {

    /** Above this many combinations of $in values over the leading fields, the index is used for fewer fields. */
    private static final int MAX_POINT_COMBINATIONS = 1000;

    /** Candidates' entries are counted up to this many; beyond it the static score alone decides. */
    private static final long MAX_COUNTED_ENTRIES = 100_000;

    /**
     * How to read the candidate documents.
     *
     * @param positions   the candidates, each once, a superset of the matching documents
     * @param sortedPrefix how many of the sort's leading fields the positions are ordered by (0: none)
     */
    record Plan<P>(String name, Stream<P> positions, int sortedPrefix) {
    }

    private QueryPlanner() {
    }

    static <P> Plan<P> plan(List<Index<P>> indexes, Document query, Document orderBy, boolean limited) {
        Map<String, List<Interval>> bounds = QueryBounds.of(query);
        Plan<P> unique = uniquePlan(indexes, bounds);
        if (unique != null) {
            return unique;
        }
        List<Candidate<P>> candidates = new ArrayList<>();
        for (Index<P> index : indexes) {
            SecondaryIndex<P> secondary = index instanceof SecondaryIndex<P> s && s.isComplete() ? s
                : index instanceof OrderedUniqueIndex<P> u && u.isComplete() ? u.ordered() : null;
            if (secondary != null) {
                Candidate<P> candidate = Candidate.of(secondary, bounds, orderBy);
                if (candidate.score > 0 && (candidate.fieldsUsed > 0 || limited)) {
                    candidates.add(candidate);
                }
            }
        }
        // Like MongoDB's trial run, but cheaper: count the index entries each candidate would read (keys only, no
        // documents), most promising first, each count stopped at the best so far. Fewest entries wins; on a tie
        // the higher score (more fields used, or the sort order delivered).
        if (candidates.size() == 1) {
            return candidates.get(0).toPlan();
        }
        candidates.sort(Comparator.comparingInt((Candidate<P> c) -> c.score).reversed());
        Candidate<P> best = null;
        long bestEntries = MAX_COUNTED_ENTRIES;
        for (Candidate<P> candidate : candidates) {
            long entries = candidate.index.countEntries(candidate.ranges(), bestEntries);
            if (best == null || entries < bestEntries) {
                best = candidate;
                bestEntries = entries;
            }
        }
        return best == null ? null : best.toPlan();
    }

    /** A unique index whose every field is given by equality (mongo-java-server's own lookup), if any. */
    private static <P> Plan<P> uniquePlan(List<Index<P>> indexes, Map<String, List<Interval>> bounds) {
        for (Index<P> index : indexes) {
            if (!index.isUnique()) {
                continue;
            }
            Document lookup = new Document();
            for (var key : index.getKeys()) {
                List<Interval> intervals = bounds.get(key.getKey());
                if (intervals == null || !intervals.stream().allMatch(i -> i.isPoint() && i.lo() != null)) {
                    lookup = null;
                    break;
                }
                List<Object> values = intervals.stream().map(Interval::lo).toList();
                lookup.put(key.getKey(), values.size() == 1 ? values.get(0) : new Document("$in", values));
            }
            if (lookup != null && index.canHandle(lookup)) {
                Iterable<P> positions = index.getPositions(lookup);
                return new Plan<>("IXSCAN " + index.getName(), StreamSupport.stream(positions.spliterator(), false).distinct(), 0);
            }
        }
        return null;
    }

    /** One secondary index evaluated for one query. */
    private static final class Candidate<P> {
        SecondaryIndex<P> index;
        /** Intervals of the leading fields used (all points except perhaps the last). */
        List<List<Interval>> used = new ArrayList<>();
        int fieldsUsed;
        int sortedPrefix;
        boolean reverse;
        /** Leading fields given by points ({@code $in}, equality), before the range field if any. */
        int pointFields;
        /** Set when the sort order comes from merging one scan per combination of the leading points. */
        Comparator<Object[]> mergeOrder;
        int score;

        static <P> Candidate<P> of(SecondaryIndex<P> index, Map<String, List<Interval>> bounds, Document orderBy) {
            Candidate<P> c = new Candidate<>();
            c.index = index;
            long combinations = 1;
            int singlePoints = 0; // leading fields fixed to one value: they do not disturb the order of the next ones
            boolean leadingSingle = true;
            for (int i = 0; i < index.fieldCount(); i++) {
                List<Interval> intervals = bounds.get(index.field(i));
                if (intervals == null) {
                    break;
                }
                boolean points = intervals.stream().allMatch(Interval::isPoint);
                if (!points && index.isMultikey()) {
                    intervals = intervals.stream().map(Interval::lowerEndOnly).toList();
                }
                if (points && combinations * intervals.size() <= MAX_POINT_COMBINATIONS) {
                    combinations *= intervals.size();
                    c.used.add(intervals);
                    c.pointFields++;
                    c.score += 2;
                    if (leadingSingle && intervals.size() == 1) {
                        singlePoints++;
                    } else {
                        leadingSingle = false;
                    }
                    continue;
                }
                c.used.add(intervals); // a range (or too many points): the last field used
                c.score += 1;
                break;
            }
            c.fieldsUsed = c.used.size();
            c.sortOrder(orderBy, singlePoints);
            c.mergedSortOrder(orderBy, singlePoints);
            if (c.sortedPrefix > 0) {
                c.score += 1;
            }
            return c;
        }

        /**
         * How many leading sort fields the index order satisfies. Index fields fixed to a single value may be
         * skipped (they do not change the order of what follows); after them, each sort field must be the next
         * index field, all in the index's direction or all reversed. Several values or intervals of a field are
         * read in order, so the order of (that field, the next) holds too. A multikey index gives no order.
         */
        private void sortOrder(Document orderBy, int singlePoints) {
            SortMatch match = matchSort(orderBy, singlePoints);
            if (match != null) {
                sortedPrefix = match.positions().size();
                reverse = match.reverse();
            }
        }

        /**
         * MongoDB's "explode for sort": when leading fields take several values (e.g. {@code enabled: {$in: [true,
         * null]}} before {@code next_check_at}), each combination of them is read in index order, and merging those
         * reads gives the sort order the single scan cannot. Taken when it orders by more sort fields than that scan.
         */
        private void mergedSortOrder(Document orderBy, int singlePoints) {
            SortMatch match = pointFields > singlePoints ? matchSort(orderBy, pointFields) : null;
            if (match == null || match.positions().size() <= sortedPrefix) {
                return;
            }
            List<Integer> positions = match.positions();
            List<Integer> directions = match.directions();
            sortedPrefix = positions.size();
            reverse = match.reverse();
            mergeOrder = (a, b) -> {
                for (int k = 0; k < positions.size(); k++) {
                    int c = ValueComparator.asc().compare(a[positions.get(k)], b[positions.get(k)]);
                    if (c != 0) {
                        return c * directions.get(k);
                    }
                }
                return 0;
            };
        }

        /** The index fields (and requested directions) of the leading sort fields, skipping up to {@code skippable} leading point fields. */
        private record SortMatch(List<Integer> positions, List<Integer> directions, boolean reverse) {
        }

        /**
         * Matches the sort against the index: each sort field is one of the first {@code skippable} index fields
         * (fixed by points: their order is the merge's or irrelevant) or the next index field after them, the latter
         * all in the index's direction or all reversed. Null when the index gives no order (no sort, multikey).
         */
        private SortMatch matchSort(Document orderBy, int skippable) {
            if (orderBy == null || orderBy.isEmpty() || orderBy.containsKey("$natural") || index.isMultikey()) {
                return null;
            }
            List<Integer> positions = new ArrayList<>();
            List<Integer> directions = new ArrayList<>();
            int i = 0;
            Boolean reversed = null;
            for (Map.Entry<String, Object> sort : orderBy.entrySet()) {
                while (i < skippable && !index.field(i).equals(sort.getKey())) {
                    i++;
                }
                if (i >= index.fieldCount() || !index.field(i).equals(sort.getKey()) || !(sort.getValue() instanceof Number direction)) {
                    break;
                }
                if (i >= skippable) {
                    boolean r = (direction.doubleValue() > 0) != index.ascending(i);
                    if (reversed != null && reversed != r) {
                        break;
                    }
                    reversed = r;
                }
                positions.add(i);
                directions.add(direction.doubleValue() > 0 ? 1 : -1);
                i++;
            }
            return new SortMatch(positions, directions, Boolean.TRUE.equals(reversed));
        }

        Plan<P> toPlan() {
            List<Object[][]> ranges = ranges();
            IndexKeyOrder order = index.order();
            Comparator<Object[][]> byStart = (a, b) -> order.compare(a[0], b[0]);
            ranges.sort(reverse ? (a, b) -> order.compare(b[1], a[1]) : byStart);
            int last = fieldsUsed - 1;
            List<Interval> lastIntervals = last < 0 ? List.of() : used.get(last);
            String name = "IXSCAN " + index.getName();
            if (mergeOrder != null) {
                Map<List<Object>, List<Object[][]>> groups = new LinkedHashMap<>();
                for (Object[][] range : ranges) {
                    groups.computeIfAbsent(Arrays.asList(Arrays.copyOf(range[0], pointFields)), k -> new ArrayList<>()).add(range);
                }
                return new Plan<>("SORT_MERGE " + name, index.mergedScan(new ArrayList<>(groups.values()), reverse, lastIntervals, last, mergeOrder), sortedPrefix);
            }
            return new Plan<>(name, index.scan(ranges, reverse, lastIntervals, last), sortedPrefix);
        }

        /** One [from, to] entry range per combination of the leading points with each interval of the last field. */
        List<Object[][]> ranges() {
            int width = index.fieldCount() + 1; // + the _id
            List<Object[][]> ranges = new ArrayList<>();
            if (fieldsUsed == 0) {
                ranges.add(new Object[][] {filled(width, 0, IndexKeyOrder.LOWEST, new Object[0]),
                    filled(width, 0, IndexKeyOrder.HIGHEST, new Object[0])});
                return ranges;
            }
            List<Object[]> prefixes = new ArrayList<>();
            prefixes.add(new Object[0]);
            for (int f = 0; f < fieldsUsed - 1; f++) {
                List<Object[]> next = new ArrayList<>();
                for (Object[] prefix : prefixes) {
                    for (Interval point : used.get(f)) {
                        Object[] extended = java.util.Arrays.copyOf(prefix, prefix.length + 1);
                        extended[prefix.length] = point.lo();
                        next.add(extended);
                    }
                }
                prefixes = next;
            }
            int f = fieldsUsed - 1;
            boolean ascending = index.ascending(f);
            for (Object[] prefix : prefixes) {
                for (Interval interval : used.get(f)) {
                    Object[] from;
                    Object[] to;
                    if (ascending) {
                        from = bound(width, prefix, interval.lo(), interval.loInclusive() ? IndexKeyOrder.LOWEST : IndexKeyOrder.HIGHEST);
                        to = bound(width, prefix, interval.hi(), interval.hiInclusive() ? IndexKeyOrder.HIGHEST : IndexKeyOrder.LOWEST);
                    } else {
                        // descending: the high end comes first; "no upper bound" is the start of the prefix's entries
                        from = bound(width, prefix, flip(interval.hi()), interval.hiInclusive() ? IndexKeyOrder.LOWEST : IndexKeyOrder.HIGHEST);
                        to = bound(width, prefix, flip(interval.lo()), interval.loInclusive() ? IndexKeyOrder.HIGHEST : IndexKeyOrder.LOWEST);
                    }
                    ranges.add(new Object[][] {from, to});
                }
            }
            return ranges;
        }

        /** In a descending field an unbounded high end is where the entries start, an unbounded low end where they end. */
        private static Object flip(Object value) {
            if (value == IndexKeyOrder.HIGHEST) {
                return IndexKeyOrder.LOWEST;
            }
            return value == IndexKeyOrder.LOWEST ? IndexKeyOrder.HIGHEST : value;
        }

        /**
         * An entry bound: the prefix values, then the field's bound value, then {@code rest} for all later fields.
         * An unbounded end (LOWEST/HIGHEST, already in index order) fills the later fields too.
         */
        private static Object[] bound(int width, Object[] prefix, Object value, Object rest) {
            Object[] entry = filled(width, prefix.length + 1, value == IndexKeyOrder.LOWEST || value == IndexKeyOrder.HIGHEST ? value : rest, prefix);
            entry[prefix.length] = value;
            return entry;
        }

        private static Object[] filled(int width, int from, Object sentinel, Object[] prefix) {
            Object[] entry = new Object[width];
            System.arraycopy(prefix, 0, entry, 0, prefix.length);
            for (int i = from; i < width; i++) {
                entry[i] = sentinel;
            }
            return entry;
        }
    }
}
