// Test-only: an independent SCIM 2.0 service provider built on SCIMMY + scimmy-routers.
//
// The provider's tests provision against it to prove the provider speaks plain SCIM 2.0 to a
// server this project did not write (tests/servers/__init__.py starts it). All SCIM protocol
// handling — schema coercion, filters, PATCH, ListResponse paging, errors — is SCIMMY's; this file
// only supplies the storage handlers SCIMMY asks an application for (an in-memory Map of Users),
// the bearer-token check, and a request counter.
//
// Environment:
//   SCIMMY_TOKEN  bearer token every SCIM request must carry (required)
//   PORT          port on 127.0.0.1 to listen on; 0 (the default) picks a free one
//   SCIMMY_QUIRKS comma-separated behaviours seen on other SCIM servers in the field, which
//                 RFC 7643/7644 allow or which a server's schema hides (issue #14); none by default:
//                   drop-email-type    stores emails without `type`
//                   empty-external-id  answers `externalId: ""` when none was set
//                   derive-names       sets displayName and name.formatted from the given and
//                                      family names, whatever was sent
//                   drop-addresses     stores no addresses, although its schema declares them
//                   no-patch           says patch.supported false and answers PATCH with 501
//
// When ready it prints exactly one line to stdout: `listening on http://127.0.0.1:<port>/`.

import {randomUUID, timingSafeEqual} from "node:crypto";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const TOKEN = process.env.SCIMMY_TOKEN;
if (!TOKEN) {
    console.error("SCIMMY_TOKEN must be set to the bearer token clients will send");
    process.exit(2);
}
const PORT = Number.parseInt(process.env.PORT ?? "0", 10);
const QUIRKS = new Set((process.env.SCIMMY_QUIRKS ?? "").split(",").map((q) => q.trim()).filter(Boolean));
const KNOWN_QUIRKS = ["drop-email-type", "empty-external-id", "derive-names", "drop-addresses", "no-patch"];
for (const quirk of QUIRKS) {
    if (!KNOWN_QUIRKS.includes(quirk)) {
        console.error(`unknown quirk ${quirk}; known: ${KNOWN_QUIRKS.join(", ")}`);
        process.exit(2);
    }
}

/** What this server does to a user before storing it (the quirks that lose or rewrite data). */
function stored(data) {
    const user = {...data};
    if (QUIRKS.has("drop-email-type") && Array.isArray(user.emails)) {
        user.emails = user.emails.map(({type, ...rest}) => rest);
    }
    if (QUIRKS.has("drop-addresses")) delete user.addresses;
    if (QUIRKS.has("derive-names")) {
        const full = [user.name?.givenName, user.name?.familyName].filter(Boolean).join(" ");
        if (full) {
            user.displayName = full;
            user.name = {...user.name, formatted: full};
        }
    }
    return user;
}

/** What this server answers for a stored user. */
function answered(user) {
    if (QUIRKS.has("empty-external-id") && user.externalId === undefined) {
        return {...user, externalId: ""};
    }
    return user;
}

/** id -> stored user: a plain object in SCIM shape, with id and meta.created/lastModified. */
const users = new Map();

const EXTENSIONS = [SCIMMY.Schemas.EnterpriseUser.definition.id];

const plain = (instance) => JSON.parse(JSON.stringify(instance));
// userName is unique and not case-exact (RFC 7643 §4.1.1), so "Ada" and "ada" collide. (SCIMMY's
// own `eq` filter compares case-exactly: that is SCIMMY's behaviour, left as it is.)
const sameName = (a, b) => String(a).toLowerCase() === String(b).toLowerCase();

function assertUniqueUserName(userName, exceptId) {
    for (const user of users.values()) {
        if (user.id !== exceptId && sameName(user.userName, userName)) {
            throw new SCIMMY.Types.Error(409, "uniqueness", `userName '${userName}' is already in use`);
        }
    }
}

// SCIMMY 1.3.5's Filter.match has two gaps that real clients hit, so matching goes through this:
// - a URN-qualified path (`urn:...:enterprise:2.0:User:employeeNumber eq "42"`) is looked up as one
//   flat key, so each user is matched through a view that also has its extension attributes under
//   such keys;
// - a filter on a complex or multi-valued attribute (`emails.value eq "x"`) throws a TypeError for
//   a user without that attribute, instead of not matching it, so it is matched one user at a time.
function matches(filter, user) {
    const view = {...user};
    for (const urn of EXTENSIONS) {
        for (const [name, value] of Object.entries(user[urn] ?? {})) view[`${urn}:${name}`] = value;
    }
    try {
        return filter.match([view]).length > 0;
    } catch (ex) {
        if (ex instanceof TypeError) return false;
        throw ex;
    }
}

// The enterprise extension is optional: clients may send it or not.
SCIMMY.Resources.declare(SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false))
    // Create (POST, no resource.id) or replace (PUT, and the write half of PATCH: SCIMMY reads the
    // user through egress, applies the operations, then hands the result back here).
    .ingress((resource, instance) => {
        const data = plain(instance);
        delete data.id;
        delete data.meta;
        const now = new Date().toISOString();
        if (resource.id) {
            const existing = users.get(resource.id);
            if (!existing) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
            assertUniqueUserName(data.userName, resource.id);
            const user = {...stored(data), id: resource.id, meta: {created: existing.meta.created, lastModified: now}};
            users.set(resource.id, user);
            return answered(user);
        }
        assertUniqueUserName(data.userName);
        const user = {...stored(data), id: randomUUID(), meta: {created: now, lastModified: now}};
        users.set(user.id, user);
        return answered(user);
    })
    // GET by id, or a list: SCIMMY's own filter matching on every stored user; SCIMMY's
    // ListResponse then sorts and pages (startIndex/count) the array returned here.
    .egress((resource) => {
        if (resource.id) {
            const user = users.get(resource.id);
            if (!user) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
            return answered(user);
        }
        const all = [...users.values()];
        return (resource.filter ? all.filter((user) => matches(resource.filter, user)) : all).map(answered);
    })
    .degress((resource) => {
        if (!users.delete(resource.id)) {
            throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
        }
    });

const counts = () => ({GET: 0, POST: 0, PUT: 0, PATCH: 0, DELETE: 0});
let stats = counts();

const app = express();
app.disable("x-powered-by");

// Test hook, not part of SCIM and deliberately unauthenticated: request counts per HTTP method on
// the SCIM paths (these two routes are not counted), and the number of stored users.
app.get("/_stats", (req, res) => res.json({...stats, users: users.size}));
app.post("/_stats/reset", (req, res) => {
    stats = counts();
    res.json(stats);
});

app.use((req, res, next) => {
    if (req.method in stats) stats[req.method] += 1;
    next();
});

if (QUIRKS.has("no-patch")) {
    app.use((req, res, next) => {
        if (req.method !== "PATCH") return next();
        res.status(501).type("application/scim+json").json({
            schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
            status: "501",
            detail: "PATCH is not implemented by this server",
        });
    });
}

const expected = Buffer.from(`Bearer ${TOKEN}`);
app.use("/", new SCIMMYRouters({
    type: "bearer",
    // scimmy-routers answers 401 (a SCIM Error message) whenever this throws.
    handler: (req) => {
        const given = Buffer.from(req.header("Authorization") ?? "");
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
            throw new Error("Missing or invalid bearer token");
        }
        return "scim-client";
    },
    // Absolute meta.location values, on whatever host:port the client reached (a proxy's included).
    baseUri: (req) => `${req.protocol}://${req.get("host")}`,
}));

// scimmy-routers advertises PATCH when it is created; a server without PATCH says otherwise.
if (QUIRKS.has("no-patch")) SCIMMY.Config.set("patch", false);

const server = app.listen(PORT, "127.0.0.1", () => {
    const {port} = server.address();
    process.stdout.write(`listening on http://127.0.0.1:${port}/\n`);
});
server.keepAliveTimeout = 30_000;

const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
