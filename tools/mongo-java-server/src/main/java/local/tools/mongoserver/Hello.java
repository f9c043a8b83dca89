package local.tools.mongoserver;

import de.bwaldvogel.mongo.bson.Document;

/**
 * mongo-java-server 1.47 knows only the legacy {@code isMaster} handshake; drivers send {@code hello} when a Stable
 * API version is configured. Every backend of the launcher answers {@code hello} like {@code isMaster}, plus
 * {@code isWritablePrimary}.
 */
final class Hello {

    private Hello() {
    }

    static boolean isHello(String command) {
        return command.equalsIgnoreCase("hello");
    }

    static Document fromIsMaster(Document isMasterResponse) {
        Document response = new Document("isWritablePrimary", Boolean.TRUE);
        isMasterResponse.forEach((key, value) -> {
            if (!key.equals("ismaster")) {
                response.put(key, value);
            }
        });
        return response;
    }
}
