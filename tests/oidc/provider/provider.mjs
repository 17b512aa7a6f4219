// A real OpenID provider (panva/oidc-provider, pinned in package.json) for Polku's tests.
// Started by tests/oidc/provider.py as `node provider.mjs CONFIG.json`; prints "ready" when
// listening. The configuration names the port, the issuer, the signing key ids (a fresh RSA key
// is made for each at start, so a restart with other ids is a key rotation), the clients, the
// accounts' claims and the resource servers (audience and access-token lifetime; JWT access
// tokens). Sign-in uses the library's development login and consent pages: any login name is an
// account, looked up in `accounts` for its claims.
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import Provider, { errors } from "oidc-provider";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));

// The signing keys: given (`keys`, e.g. another provider's, to sign as another issuer with
// the same keys), or made afresh, one per id in `kids`, and written to `keys_out`.
const keys =
  config.keys ||
  config.kids.map((kid) => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    return { ...privateKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" };
  });
if (config.keys_out) writeFileSync(config.keys_out, JSON.stringify(keys));

const claimsOf = (id) => ({ sub: id, ...(config.accounts[id] || {}) });

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: { keys },
  cookies: { keys: ["polku-test-cookie-key"] },
  pkce: { required: () => true },
  scopes: ["openid", "polku", "offline_access"],
  claims: { openid: ["sub"], polku: ["polku_party", "polku_org", "polku_role"] },
  conformIdTokenClaims: false,
  findAccount: (ctx, id) => ({ accountId: id, claims: () => claimsOf(id) }),
  extraTokenClaims: (ctx, token) =>
    token.kind === "ClientCredentials"
      ? config.service_claims[token.clientId] || {}
      : token.accountId
        ? claimsOf(token.accountId)
        : {},
  ttl: { Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, Interaction: 600 },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => false,
      getResourceServerInfo: (ctx, indicator) => {
        const server = config.resources[indicator];
        if (!server) throw new errors.InvalidTarget();
        return {
          scope: "read write feed",
          audience: server.audience,
          accessTokenTTL: server.ttl,
          accessTokenFormat: "jwt",
        };
      },
    },
  },
});
provider.on("server_error", (ctx, error) => console.error("server_error", error));
provider.listen(config.port, "127.0.0.1", () => console.log("ready"));
