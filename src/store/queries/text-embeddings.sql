-- Cached embeddings of the given text hashes for one tenant and model.
SELECT text_hash, embedding
FROM text_embeddings FINAL
WHERE tenant = {tenant:String} AND model = {model:String} AND text_hash IN {hashes:Array(String)}
