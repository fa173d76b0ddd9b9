"""Tiny models built from configs with random weights: they run real loading and inference code paths
offline. Their output is never judged, only that it becomes well-formed Evidence."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path


def tiny_openai_whisper(path: Path) -> Path:
    """A one-layer Whisper checkpoint in openai-whisper's .pt format."""
    import torch
    from whisper.model import ModelDimensions, Whisper

    torch.manual_seed(0)
    dims = ModelDimensions(
        n_mels=80, n_audio_ctx=1500, n_audio_state=64, n_audio_head=2, n_audio_layer=1, n_vocab=51865,
        n_text_ctx=448, n_text_state=64, n_text_head=2, n_text_layer=1,
    )
    torch.save({"dims": dataclasses.asdict(dims), "model_state_dict": Whisper(dims).state_dict()}, path)
    return path


def tiny_yolo_config(folder: Path) -> Path:
    """ultralytics' own YOLOv8 architecture file; the 'n' in the name picks the nano scale."""
    import ultralytics

    source = Path(ultralytics.__file__).parent / "cfg" / "models" / "v8" / "yolov8.yaml"
    return Path(shutil.copy(source, folder / "yolov8n.yaml"))


def tiny_blip(folder: Path) -> Path:
    """A two-layer BLIP captioner and its processor, saved like a hub checkpoint."""
    import torch
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessor,
        BlipProcessor,
    )

    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(95)]))
    processor = BlipProcessor(
        image_processor=BlipImageProcessor(size={"height": 32, "width": 32}), tokenizer=BertTokenizer(str(vocab))
    )
    config = BlipConfig(
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                       "num_attention_heads": 2, "image_size": 32, "patch_size": 8},
        text_config={"vocab_size": 100, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                     "num_attention_heads": 2, "max_position_embeddings": 64, "bos_token_id": 2,
                     "sep_token_id": 3, "eos_token_id": 3, "pad_token_id": 0},
    )
    BlipForConditionalGeneration(config).save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def tiny_chat_lm(folder: Path) -> Path:
    """A one-layer Llama with a character-level tokenizer and a chat template: a transformers chat model."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    torch.manual_seed(0)
    vocab = {t: i for i, t in enumerate(["<unk>", "<s>", "</s>"] + [chr(c) for c in range(32, 127)])}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", bos_token="<s>", eos_token="</s>")
    fast.chat_template = ("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                          "{% if add_generation_prompt %}assistant: {% endif %}")
    fast.save_pretrained(folder)
    config = LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=8192,
                         bos_token_id=1, eos_token_id=2, pad_token_id=0)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder
