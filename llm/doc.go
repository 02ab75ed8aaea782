// Package llm describes large language models for inference simulation:
// their architecture as published (layers, attention, FFN, mixture of
// experts) and what follows from it that a serving system has to carry and
// compute — parameters in total and per token, weight bytes by data type,
// KV-cache bytes per token, and FLOPs per token split by operator class.
//
// # The model zoo
//
// Built-in models are YAML files embedded in the binary (models/*.yaml):
// DeepSeek-V3 and R1, Llama-3.1 8B/70B/405B, Llama-2-70B, Qwen3-235B-A22B,
// Qwen3-32B and gpt-oss-120b. Every figure in them carries a line comment
// naming its source, normally the field of the model's config.json on
// Hugging Face; figures with no published source say "assumption:". Users
// add a model by writing a file of the same form (see File) and passing its
// path to Load. Files are decoded strictly (internal/strictyaml): unknown
// fields, duplicate keys, wrong types and inconsistent figures are errors
// naming file:line:col.
//
// # Conventions
//
// Parameter counts, bytes and FLOPs are float64 (exact for every integer
// count below 2^53). "Active" parameters are those a token's forward pass
// multiplies by: everything except the input embedding table (a lookup)
// and the routed experts it is not sent to. That is how DeepSeek (36.6B
// incl. the 0.9B output head) and OpenAI (gpt-oss-120b, 5.13B) count.
// Multi-token-prediction (MTP) modules are not in TotalParams; MTPParams
// gives them separately. FLOPs count a multiply-add as 2.
package llm
