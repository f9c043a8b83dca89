package local.tools.mongoserver;

import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;

/** The in-memory backend (no --data) with secondary indexes, {@code hello} and query counters in serverStatus. */
final class IndexedMemoryBackend extends MemoryBackend {

    @Override
    public MemoryDatabase openOrCreateDatabase(String databaseName) {
        return new IndexedMemoryDatabase(databaseName, getCursorRegistry());
    }

    @Override
    public Document handleCommand(Channel channel, String database, String command, Document query) {
        return Hello.isHello(command)
            ? Hello.fromIsMaster(super.handleCommand(channel, database, "isMaster", query))
            : super.handleCommand(channel, database, command, query);
    }

    @Override
    public Document getServerStatus() {
        return QueryStats.addTo(super.getServerStatus());
    }
}
