// A stand-in for CloudFront's `cloudfront` module: `cf.kvs()` returns a handle on the
// KeyValueStore import file the harness loaded before importing the function. As documented,
// `get` rejects for a missing key, and keys are 1 to 512 characters.
const MAX_KEY = 512;

export default {
  kvs() {
    const file = globalThis.__corsgenStore;
    if (file === null || file === undefined) {
      throw new Error("no key value store is associated with this function");
    }
    const data = new Map();
    for (const entry of file.data) {
      if (data.has(entry.key)) throw new Error(`duplicate key ${entry.key} in the import file`);
      data.set(entry.key, entry.value);
    }
    return {
      async get(key, options) {
        if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY) {
          throw new Error(`invalid key ${JSON.stringify(key)}`);
        }
        if (!data.has(key)) throw new Error(`key ${JSON.stringify(key)} not found`);
        const value = data.get(key);
        const format = (options && options.format) || "string";
        if (format === "json") return JSON.parse(value);
        if (format === "bytes") return new TextEncoder().encode(value);
        return value;
      },
      async exists(key) {
        return data.has(key);
      },
    };
  },
};
